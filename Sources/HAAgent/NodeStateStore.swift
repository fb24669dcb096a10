import Foundation
import Synchronization

/// This node's operator state (drained or not), persisted in the state directory so that a drain
/// survives an agent restart. Reads come from memory; writes go to disk first (write, fsync, rename).
public final class NodeStateStore: Sendable {
    struct Persisted: Codable { var drained: Bool }

    public let path: String
    private let drainedFlag: Mutex<Bool>

    /// Opens (creating the directory, mode 0700) the state of one node. A missing file means "not drained".
    public init(directory: String) throws(AgentError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .stateDirectory(path: directory, message: "\(error.localizedDescription)")
        }
        self.path = directory + "/node-state.json"
        var drained = false
        if let data = FileManager.default.contents(atPath: path) {
            guard let state = try? JSONDecoder().decode(Persisted.self, from: data) else {
                throw .stateDirectory(path: path, message: "unreadable state file (not JSON); fix or remove it")
            }
            drained = state.drained
        }
        self.drainedFlag = Mutex(drained)
    }

    public var drained: Bool { drainedFlag.withLock { $0 } }

    /// Persists, then publishes; on a write error the in-memory state is unchanged.
    public func setDrained(_ value: Bool) throws(AgentError) {
        try drainedFlag.withLock { (current: inout Bool) throws(AgentError) in
            let data: Data
            do { data = try JSONEncoder().encode(Persisted(drained: value)) } catch {
                throw .stateDirectory(path: path, message: "encode: \(error)")
            }
            let tmp = path + ".tmp"
            guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw .stateDirectory(path: tmp, message: "cannot write")
            }
            let fd = open(tmp, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            guard rename(tmp, path) == 0 else {
                throw .stateDirectory(path: path, message: String(cString: strerror(errno)))
            }
            current = value
        }
    }
}
