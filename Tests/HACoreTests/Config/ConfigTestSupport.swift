import Foundation
import Testing

@testable import HACore

/// A private temp directory holding the secret files a config refers to (mode 0600), removed on deinit.
final class SecretsDirectory {
    let path: String
    static let secretNames = ["cluster.key", "galera.pass", "rabbit.pass", "mgmt.pass", "nova.pass", "bmc.pass", "vrrp.pass"]

    init() throws {
        let temp = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var template = Array((temp + "/hactl-config-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
        for name in Self.secretNames {
            // 32 bytes or more: the cluster secret has a minimum length.
            try write(name, contents: "s3cret-\(name)-0123456789abcdef0123456789abcdef\n", mode: 0o600)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` to `name` and sets its mode exactly (umask does not apply).
    func write(_ name: String, contents: String, mode: mode_t) throws {
        let file = path + "/" + name
        try contents.write(toFile: file, atomically: false, encoding: .utf8)
        guard chmod(file, mode) == 0 else { throw POSIXError(.EPERM) }
    }

    /// The config's path inside the directory (the file itself need not exist for `parse`).
    var configPath: String { path + "/cluster.yaml" }

    /// Replaces `$DIR` with the directory.
    func expand(_ text: String) -> String {
        text.replacingOccurrences(of: "$DIR", with: path)
    }

    func parse(_ yaml: String) throws(ConfigErrors) -> ClusterConfig {
        try ClusterConfig.parse(expand(yaml), path: configPath)
    }

    /// The `FILE:LINE:COL: message` lines a broken config produces, with the directory shown as `$DIR`.
    func problems(_ yaml: String) -> [String] {
        do {
            _ = try parse(yaml)
            return []
        } catch {
            return error.errors.map { $0.description.replacingOccurrences(of: path, with: "$DIR") }
        }
    }
}

/// The smallest valid head: a cluster and two controllers (six lines).
let minimalHead = """
    cluster:
      name: lab
      secret_file: cluster.key
    controllers:
      ctl1: { address: 198.18.0.11 }
      ctl2: { address: 198.18.0.12 }

    """
