import Foundation
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
    func setDrained(_ value: Bool, stoppingAfter stop: AtomicWrite.Step?) throws(AgentError) {
        try drainedFlag.withLock { (current: inout Bool) throws(AgentError) in
            let data: Data
            do { data = try JSONEncoder().encode(Persisted(drained: value)) } catch {
                throw .stateDirectory(path: path, message: "encode: \(error)")
            }
            let completed = try AtomicWrite.write(Array(data), to: path, stoppingAfter: stop)
            if completed { current = value }
        }
    }

    /// Temp files are `node-state.json.tmp.*`: a crash may leave one, never to be read.
    static func removeLeftovers(of path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + AtomicWrite.tempMarker
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            unlink(directory + "/" + name)
        }
    }
}

/// Replaces a file atomically and durably: temp file (same directory, mode 0600), write, fsync,
/// rename, fsync of the directory.
enum AtomicWrite {
    static let tempMarker = ".tmp."

    enum Step: CaseIterable, Sendable { case created, written, synced, renamed }

    /// Returns false only when `stop` cut the write short (tests).
    @discardableResult
    static func write(_ bytes: [UInt8], to path: String, stoppingAfter stop: Step? = nil) throws(AgentError) -> Bool {
        let tmp = path + tempMarker + "\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure(tmp, "cannot create") }
        var closed = false
        defer { if !closed { close(fd) } }
        if stop == .created { return false }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { let e = failure(tmp, "write"); unlink(tmp); throw e }
            offset += n
        }
        if stop == .written { return false }
        guard fsync(fd) == 0 else { let e = failure(tmp, "fsync"); unlink(tmp); throw e }
        close(fd)
        closed = true
        if stop == .synced { return false }
        guard rename(tmp, path) == 0 else { let e = failure(path, "rename"); unlink(tmp); throw e }
        if stop == .renamed { return false }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw failure(directory, "open directory") }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw failure(directory, "fsync directory") }
        return true
    }

    private static func failure(_ path: String, _ what: String) -> AgentError {
        .stateDirectory(path: path, message: "\(what): \(String(cString: strerror(errno)))")
    }
}
