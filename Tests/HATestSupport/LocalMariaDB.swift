import Foundation
import HACore
#if canImport(Glibc)
import Glibc
#endif

public struct LocalMariaDBError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One standalone `mariadbd` (no Galera) started by a test on 127.0.0.1 with a temporary datadir, a
/// user `hactl` and a password file; stopped by PID and removed by ``stop()``.
///
/// Needs root (the server runs as `mysql`). ``ensureInstalled()`` installs Debian's mariadb-server
/// when it is missing, with a `policy-rc.d` that keeps the packaged service from starting. Suites
/// that use it are `.enabled(if: LocalMariaDB.usable)`: without root, or without mariadbd and
/// apt-get to install it, they skip.
public final class LocalMariaDB {
    public static let mariadbd = "/usr/sbin/mariadbd"
    public static let installDB = "/usr/bin/mariadb-install-db"
    private static let installLock = NSLock()
    public static let password = "hactl-test-\(UInt32.random(in: 0...UInt32.max))"

    /// Root, and mariadbd installed or installable.
    public static var usable: Bool {
        geteuid() == 0 && (access(mariadbd, X_OK) == 0 || access("/usr/bin/apt-get", X_OK) == 0)
    }

    public let directory: String
    public let port: Int
    public var socket: String { directory + "/mysqld.sock" }
    public var passwordFile: String { directory + "/galera.pass" }
    public private(set) var pid: pid_t = 0

    /// Installs (when needed), initialises a datadir and starts the server; returns once it accepts
    /// TCP connections (bounded wait). `initSQL` runs after the user is created, at server start
    /// (as root: grants, schemas).
    public init(initSQL: String = "") throws {
        try Self.ensureInstalled()
        guard let made = mkdtemp(strdup("/tmp/hactl-galera-test.XXXXXX")) else {
            throw LocalMariaDBError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        free(made)
        port = try Self.freePort()
        do { try start(initSQL) } catch {
            stop()
            throw error
        }
    }

    /// ``init(initSQL:)`` on a thread of its own: installing, initialising and starting take seconds of
    /// blocking calls, which must not hold one of the cooperative pool's few threads (on a 2-core box
    /// that would starve the timers of every other test running meanwhile).
    public static func start(initSQL: String = "") async throws -> LocalMariaDB {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try LocalMariaDB(initSQL: initSQL) })
            }
        }
    }

    private func start(_ initSQL: String) throws {
        let sql = """
            CREATE USER IF NOT EXISTS 'hactl'@'127.0.0.1' IDENTIFIED BY '\(Self.password)';
            CREATE USER IF NOT EXISTS 'hactl'@'localhost' IDENTIFIED BY '\(Self.password)';
            \(initSQL)

            """
        try sql.write(toFile: directory + "/init.sql", atomically: true, encoding: .utf8)
        try (Self.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        try run([Self.chownPath, "-R", "mysql:mysql", directory])
        // The password file stays root's, 0600, as /etc/hactl/galera.pass would be.
        chown(passwordFile, 0, 0)
        // One datadir initialisation at a time in this process: suites start servers in parallel,
        // and concurrent mariadb-install-db runs on a small box were seen to fail.
        Self.installLock.lock()
        defer { Self.installLock.unlock() }
        try run([Self.installDB, "--no-defaults", "--user=mysql", "--datadir=\(directory)/data",
                 "--auth-root-authentication-method=socket", "--skip-test-db"], log: directory + "/install.log")
        pid = try Self.spawn([Self.mariadbd, "--no-defaults", "--user=mysql", "--datadir=\(directory)/data",
                         "--socket=\(socket)", "--port=\(port)", "--bind-address=127.0.0.1",
                         "--pid-file=\(directory)/mariadbd.pid", "--log-error=\(directory)/error.log",
                         "--init-file=\(directory)/init.sql", "--skip-name-resolve", "--skip-log-bin",
                         "--innodb-buffer-pool-size=16M"],
                        log: directory + "/mariadbd.out")
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if Self.accepts(port: port) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw LocalMariaDBError("mariadbd exited (status \(status)): \(log("error.log"))")
            }
            usleep(50_000)
        }
        throw LocalMariaDBError("mariadbd did not listen on 127.0.0.1:\(port) within 60s: \(log("error.log"))")
    }

    /// Sends `number` to the server. For SIGSTOP, returns once every thread of it is stopped (state
    /// `T` in /proc, bounded at 2 s): `kill` only queues the stop, and a query sent in that window
    /// could still be answered.
    public func signal(_ number: Int32) {
        guard pid > 0 else { return }
        ProcessStop.signal(pid, number)
    }

    /// Kills the server by PID (kill -9, as a crash) and reaps it; the datadir, socket file and pid
    /// file stay behind, as after a power loss.
    public func crash() {
        guard pid > 0 else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }

    /// Kills the server by PID (SIGCONT first, in case it is stopped), reaps it, removes the directory.
    public func stop() {
        if pid > 0 {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            pid = 0
        }
        _ = try? FileManager.default.removeItem(atPath: directory)
    }

    public func log(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
    }

    // MARK: - Installation

    static var chownPath: String { FileManager.default.fileExists(atPath: "/usr/bin/chown") ? "/usr/bin/chown" : "/bin/chown" }

    /// Installs Debian's mariadb-server unless it is there; idempotent. A temporary
    /// `/usr/sbin/policy-rc.d` (exit 101) keeps the package from starting its service.
    public static func ensureInstalled() throws {
        if access(mariadbd, X_OK) == 0, access(installDB, X_OK) == 0 { return }
        let policy = "/usr/sbin/policy-rc.d"
        let placed = access(policy, F_OK) != 0
        if placed {
            try "#!/bin/sh\nexit 101\n".write(toFile: policy, atomically: true, encoding: .utf8)
            chmod(policy, 0o755)
        }
        defer { if placed { unlink(policy) } }
        let install = ["/usr/bin/apt-get", "install", "-y", "-q", "--no-install-recommends", "mariadb-server"]
        do { try run(install, log: "/tmp/hactl-mariadb-install.log") } catch {
            try run(["/usr/bin/apt-get", "update", "-q"], log: "/tmp/hactl-mariadb-install.log")
            try run(install, log: "/tmp/hactl-mariadb-install.log")
        }
    }

    // MARK: - Processes

    /// Through HACore's Subprocess: an empty signal mask and default handlers (the test runner blocks some).
    private static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        return try Subprocess.spawn(arguments, environment: environment, stdout: log, append: true)
    }

    private func run(_ arguments: [String], log: String? = nil) throws {
        try Self.run(arguments, log: log ?? directory + "/commands.log")
    }

    private static func run(_ arguments: [String], log: String) throws {
        let pid = try spawn(arguments, log: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw LocalMariaDBError("`\(arguments.joined(separator: " "))` failed (status \(status)): \(output)")
        }
    }

    // MARK: - Sockets

    /// A port the kernel just handed out on 127.0.0.1 (free now; nothing else here races for it).
    private static func freePort() throws -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalMariaDBError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw LocalMariaDBError("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

// Handed from the starting thread to the test; then used by one test at a time.
extension LocalMariaDB: @unchecked Sendable {}
