#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Replaces a file atomically and durably, the one way the package does it: a temp file beside it
/// (`<name>.tmp.<pid>-<random>`, created exclusively, no symlink followed), write, fsync, rename,
/// fsync of the directory. A crash leaves the old file or the new one, never a mix; it may leave a
/// temp file, which a reader ignores (``temporaryPrefix(of:)`` finds them).
public enum AtomicFile {
    /// The steps of a write, for tests that simulate a crash after one of them.
    public enum Step: CaseIterable, Sendable { case created, written, synced, renamed }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var step: String
        public var errno: Int32
        public init(step: String, errno: Int32) {
            self.step = step
            self.errno = errno
        }
        public var description: String { "\(step): \(String(cString: strerror(errno)))" }
    }

    /// Temp files of `path` start with this.
    public static func temporaryPrefix(of path: String) -> String {
        ((path as NSString).lastPathComponent) + ".tmp."
    }

    /// Writes `bytes` as the new contents of `path` with `mode` (and `owner`, when given).
    /// Returns false only when `stop` cut the write short (tests).
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600, owner: (uid: uid_t, gid: gid_t)? = nil,
                             stoppingAfter stop: Step? = nil) throws(Failure) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        let temporary = dir + "/" + temporaryPrefix(of: path) + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(step: "create \(temporary)", errno: errno) }
        var renamed = false
        var open = true
        defer {
            if open { close(fd) }
            // A simulated crash leaves the temp file, as a real one would.
            if !renamed && stop == nil { unlink(temporary) }
        }
        if stop == .created { return false }
        var written = 0
        while written < bytes.count {
            do {
                written += try Syscall.retryingOnEINTR("write") {
                    bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                }
            } catch {
                throw Failure(step: "write", errno: error.errno)
            }
        }
        if stop == .written { return false }
        if let owner {
            // Owner first (chown may clear set-id bits), then the mode. Not being allowed to give a
            // file away is fine when it is ours already.
            if fchown(fd, owner.uid, owner.gid) != 0 && (owner.uid != geteuid() || owner.gid != getegid()) {
                throw Failure(step: "chown", errno: errno)
            }
        }
        guard fchmod(fd, mode) == 0 else { throw Failure(step: "chmod", errno: errno) }
        guard fsync(fd) == 0 else { throw Failure(step: "fsync", errno: errno) }
        open = false
        guard close(fd) == 0 else { throw Failure(step: "close", errno: errno) }
        if stop == .synced { return false }
        guard rename(temporary, path) == 0 else { throw Failure(step: "rename", errno: errno) }
        renamed = true
        if stop == .renamed { return false }
        let dirfd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw Failure(step: "open directory", errno: errno) }
        defer { close(dirfd) }
        guard fsync(dirfd) == 0 else { throw Failure(step: "fsync directory", errno: errno) }
        return true
    }

    /// Replaces an existing regular file's contents, keeping its owner and mode.
    public static func replace(_ path: String, with text: String) throws(Failure) {
        var original = stat()
        guard lstat(path, &original) == 0 else { throw Failure(step: "stat", errno: errno) }
        guard original.st_mode & S_IFMT == S_IFREG else { throw Failure(step: "not a regular file", errno: EINVAL) }
        try write(Array(text.utf8), to: path, mode: original.st_mode & 0o7777, owner: (original.st_uid, original.st_gid))
    }
}
