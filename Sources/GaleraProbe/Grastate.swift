import Foundation
import HACore
#if canImport(Glibc)
import Glibc
#endif

/// The `grastate.dat` file Galera keeps in the datadir: the cluster state UUID, the seqno of the last
/// write-set this node committed (`-1` while the server runs, or after a crash), and whether the
/// node may bootstrap a new cluster. A pure parser and editor of its text.
public struct Grastate: Sendable, Equatable, Codable {
    public static let fileName = "grastate.dat"
    /// The UUID a node that never joined a cluster has.
    public static let zeroUUID = "00000000-0000-0000-0000-000000000000"

    public var uuid: String?
    public var seqno: Int64?
    public var safeToBootstrap: Bool?

    public init(uuid: String?, seqno: Int64?, safeToBootstrap: Bool?) {
        self.uuid = uuid
        self.seqno = seqno
        self.safeToBootstrap = safeToBootstrap
    }

    /// Reads the `key: value` lines; comments, unknown keys and malformed values are ignored (a
    /// missing value is nil, never a guess).
    public init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            switch key {
            case "uuid": uuid = value.isEmpty ? nil : value
            case "seqno": seqno = Int64(value)
            case "safe_to_bootstrap": safeToBootstrap = value == "1" ? true : value == "0" ? false : nil
            default: break
            }
        }
    }

    /// `text` with `safe_to_bootstrap: 1` (the line replaced, or appended when missing); every other
    /// line stays as it was.
    public static func settingSafeToBootstrap(in text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let index = lines.firstIndex(where: { $0.trimmingSpaces().hasPrefix("safe_to_bootstrap:") }) {
            lines[index] = "safe_to_bootstrap: 1"
        } else {
            lines.append("safe_to_bootstrap: 1")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The position `mariadbd --wsrep-recover` (or Debian's `galera_recovery`) printed, from either
    /// `WSREP: Recovered position: UUID:SEQNO` or `--wsrep_start_position=UUID:SEQNO`; the last one
    /// wins. Nil when the output has neither.
    public static func recoveredPosition(in output: String) -> (uuid: String, seqno: Int64)? {
        var found: (String, Int64)?
        for line in output.split(whereSeparator: \.isNewline) {
            for marker in ["Recovered position:", "--wsrep_start_position="] {
                guard let range = line.range(of: marker) else { continue }
                let position = line[range.upperBound...].trimmingSpaces()
                let token = position.split(separator: " ").first.map(String.init) ?? position
                guard let colon = token.lastIndex(of: ":"), let seqno = Int64(token[token.index(after: colon)...]) else { continue }
                found = (String(token[..<colon]), seqno)
            }
        }
        return found
    }
}
