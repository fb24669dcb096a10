import Foundation
import HACore
import Synchronization

/// This node's operator state (drained or not), persisted in the state directory so that a drain
/// survives an agent restart. Reads come from memory; writes go to disk first, atomically: a temp
/// file in the same directory, written and fsynced, renamed over the state file, then the directory
/// fsynced. A crash at any step leaves the old state or the new one, never an empty or partial file;
/// a temp file left behind by a crash is removed (never read) when the store opens.
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
        Self.removeLeftovers(of: path)
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
        try setDrained(value, stoppingAfter: nil)
    }

    /// `stoppingAfter` simulates a crash in tests: the write stops after that step, leaving the disk
    /// as a crash there would (and the in-memory state unchanged).
    func setDrained(_ value: Bool, stoppingAfter stop: AtomicFile.Step?) throws(AgentError) {
        try drainedFlag.withLock { (current: inout Bool) throws(AgentError) in
            let data: Data
            do { data = try JSONEncoder().encode(Persisted(drained: value)) } catch {
                throw .stateDirectory(path: path, message: "encode: \(error)")
            }
            let completed: Bool
            do throws(AtomicFile.Failure) { completed = try AtomicFile.write(Array(data), to: path, stoppingAfter: stop) } catch {
                throw .stateDirectory(path: path, message: error.description)
            }
            if completed { current = value }
        }
    }

    /// Temp files are `node-state.json.tmp.*`: a crash may leave one, never to be read.
    static func removeLeftovers(of path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let prefix = AtomicFile.temporaryPrefix(of: path)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            unlink(directory + "/" + name)
        }
    }
}
