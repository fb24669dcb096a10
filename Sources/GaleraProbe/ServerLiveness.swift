import Foundation
import HACore
#if canImport(Glibc)
import Glibc
#endif

/// Whether the local MariaDB server runs, decided from the machine rather than from the last probe
/// (a server that is starting, hung, or refusing the probe user still holds its datadir):
///
/// - **the datadir lock**: mariadbd holds POSIX write locks on `aria_log_control` (Aria) and
///   `ibdata1` (InnoDB) for as long as it runs; `F_GETLK` asks the kernel who holds them without
///   taking anything;
/// - **a pid file** (`*.pid` in the datadir or its parent, where `pid-file` usually points) naming a
///   live process called `mariadbd` or `mysqld`;
/// - **the socket** (`galera.socket`, when configured) accepting a connection.
///
/// Any one of them means running. Reads only; never blocks for long (the socket connect is local).
public enum ServerLiveness {
    public struct Evidence: Sendable, Equatable, CustomStringConvertible {
        /// Each sign that the server runs, one line each; empty when none was found.
        public var signs: [String]
        public var running: Bool { !signs.isEmpty }

        public init(signs: [String]) { self.signs = signs }

        public var description: String { running ? signs.joined(separator: "; ") : "not running" }
    }

    /// Files mariadbd keeps locked while it runs.
    public static let lockFiles = ["aria_log_control", "ibdata1"]
    /// Process names a pid file must point at to count.
    public static let serverNames: Set<String> = ["mariadbd", "mysqld"]

    public static func check(datadir: String, socket: String?) -> Evidence {
        var signs: [String] = []
        for file in lockFiles {
            if let holder = lockHolder(datadir + "/" + file) {
                signs.append("\(file) in the datadir is locked" + (holder > 0 ? " by pid \(holder)" : ""))
            }
        }
        let parent = (datadir as NSString).deletingLastPathComponent
        for directory in [datadir, parent.isEmpty ? "." : parent] {
            for (file, pid) in livePidFiles(in: directory) {
                signs.append("pid file \(file): \(pid) is alive")
            }
        }
        if let socket, socketAccepts(socket) {
            signs.append("socket \(socket) accepts connections")
        }
        return Evidence(signs: signs)
    }

    /// The pid holding a lock that conflicts with a whole-file write lock on `path` (-1 for an
    /// open-file-description lock), or nil when none is held or the file cannot be opened.
    public static func lockHolder(_ path: String) -> pid_t? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        guard fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        return lock.l_pid
    }

    /// `*.pid` files in `directory` whose pid (a positive number, bounded) is a live mariadbd/mysqld.
    /// A zombie (killed, not yet reaped: common when the server's parent exited and PID 1 does not
    /// reap) still has its name in `/proc` but holds nothing: it does not count.
    static func livePidFiles(in directory: String, names: Set<String> = serverNames) -> [(String, pid_t)] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var out: [(String, pid_t)] = []
        for name in files.sorted() where name.hasSuffix(".pid") {
            let path = directory + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.utf8.count < 64,
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { continue }
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  names.contains(comm.trimmingCharacters(in: .whitespacesAndNewlines)), isLive(pid) else { continue }
            out.append((path, pid))
        }
        return out
    }

    /// The process exists and is not a zombie (`/proc/PID/stat`: the state after the command's `)`).
    static func isLive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != nil && state != "Z" && state != "X" && state != "x"
    }

    /// A Unix socket at `path` accepts a connection (closed at once).
    public static func socketAccepts(_ path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}
