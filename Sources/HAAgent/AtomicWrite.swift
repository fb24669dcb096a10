import Foundation

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
