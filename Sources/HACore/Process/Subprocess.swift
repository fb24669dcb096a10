import Foundation

/// Starting other programs (notify commands, fence agents, lab scripts in tests) without
/// Foundation's `Process`, whose SIGCHLD handling was seen to miss the exit of a script that leaves
/// daemons behind. Children start with an empty signal mask and default handlers: the agent (and the
/// test runner) block signals for their own handling, and a child inheriting that mask cannot be
/// stopped with SIGTERM. Children also start under SCHED_OTHER, whatever the spawning thread runs
/// under (the VRRP engine's thread is SCHED_RR: a script inheriting that could starve the machine).
/// With `ownProcessGroup`, the child leads a new process group and a timeout kills the whole group,
/// so a script's own children (`sleep 100 &`) die with it. Blocking calls (`wait`, `run`) belong on
/// a thread of their own, never on the cooperative pool; `run(_ command: Command) async` (in
/// Subprocess+Command.swift) is the async form, with stdin, bounded output and cancellation.
/// Why this is hand-written rather than swiftlang/swift-subprocess: docs/architecture/subprocess.md.
public enum Subprocess {
    public struct Output: Sendable, CustomStringConvertible {
        /// The exit code, or 128 + the signal number.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Whether stdout went past the command's `outputLimit` (the rest was read and dropped).
        public var stdoutTruncated = false
        /// Whether stderr went past the command's `outputLimit`.
        public var stderrTruncated = false
        public var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// Starts `argv` (looked up on PATH through /usr/bin/env unless absolute) with stdin from /dev/null
    /// and stdout/stderr written to the given files (nil: /dev/null; stderr nil: with stdout),
    /// truncated first unless `append`. With `ownProcessGroup` the child's pid is also its process
    /// group id (`wait(_:timeout:)` then kills the group).
    public static func spawn(_ argv: [String], environment: [String: String]? = nil,
                             stdout: String? = nil, stderr: String? = nil, append: Bool = false,
                             ownProcessGroup: Bool = false) throws(SubprocessError) -> pid_t {
        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        return try spawn(argv, environment: environment, stdin: .file("/dev/null", O_RDONLY),
                         stdout: .file(stdout ?? "/dev/null", mode),
                         stderr: stderr.map { .file($0, mode) } ?? .sameAsStdout,
                         ownProcessGroup: ownProcessGroup)
    }

    /// Where a child's standard stream comes from or goes to.
    enum Redirect {
        /// Opened in the child with these flags (created 0600).
        case file(String, Int32)
        /// A descriptor of ours, duplicated onto the stream (ours stays open: close it after spawning).
        case descriptor(Int32)
        /// stderr only: the same as stdout.
        case sameAsStdout
    }

    static func spawn(_ argv: [String], environment: [String: String]?, stdin: Redirect, stdout: Redirect,
                      stderr: Redirect, ownProcessGroup: Bool) throws(SubprocessError) -> pid_t {
        precondition(!argv.isEmpty, "spawn needs a command")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, redirect) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch redirect {
            case .file(let path, let flags): posix_spawn_file_actions_addopen(&actions, stream, path, flags, 0o600)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, stream)
            case .sameAsStdout: posix_spawn_file_actions_adddup2(&actions, 1, stream)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Never inherit a real-time policy: the child runs SCHED_OTHER at priority 0.
        var normal = sched_param()
        normal.sched_priority = 0
        posix_spawnattr_setschedpolicy(&attributes, Int32(SCHED_OTHER))
        posix_spawnattr_setschedparam(&attributes, &normal)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSCHEDULER
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let path = argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env"
        let args = (argv[0].hasPrefix("/") ? argv : ["/usr/bin/env"] + argv).map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        let env = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { env?.forEach { free($0) } }
        var pid: pid_t = 0
        let rc: Int32 = if var env { posix_spawn(&pid, path, &actions, &attributes, args, &env) }
            else { posix_spawn(&pid, path, &actions, &attributes, args, environ) }
        guard rc == 0 else { throw .spawn(command: argv[0], errno: rc) }
        return pid
    }

    /// Waits for `pid` to exit; its exit code, or 128 + the signal that ended it.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        do throws(SystemCallError) {
            try Syscall.retryingOnEINTR("waitpid") { waitpid(pid, &status, 0) }
        } catch {
            return -1
        }
        return decode(status)
    }

    /// Waits at most `timeout`; past it the child gets SIGKILL and the result is nil. A child that
    /// leads its own process group (`spawn(ownProcessGroup: true)`) is killed with its whole group.
    public static func wait(_ pid: pid_t, timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        // Sleep in poll on a pidfd until the child exits or the deadline passes; without one (old
        // C library), look every 5 ms.
        let exitFD = PidFD.open(pid)
        defer { if let exitFD { close(exitFD) } }
        var status: Int32 = 0
        while true {
            let r: pid_t
            do throws(SystemCallError) {
                r = try Syscall.retryingOnEINTR("waitpid") { waitpid(pid, &status, WNOHANG) }
            } catch {
                return -1
            }
            if r == pid { return decode(status) }
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                // Still our unreaped child, so the pid (and a group it leads) cannot have been reused.
                if getpgid(pid) == pid { kill(-pid, SIGKILL) }
                kill(pid, SIGKILL)
                _ = wait(pid)
                return nil
            }
            if let exitFD {
                var entry = pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)
                let ms = Int32(clamping: (left.components.seconds * 1000) + (left.components.attoseconds / 1_000_000_000_000_000) + 1)
                _ = poll(&entry, 1, ms)
            } else {
                usleep(5_000)
            }
        }
    }

    /// Runs `argv` to completion and captures its output (through temporary files: no pipe deadlock).
    public static func run(_ argv: [String], environment: [String: String]? = nil,
                           timeout: Duration? = nil, ownProcessGroup: Bool = false) throws(SubprocessError) -> Output {
        let base = NSTemporaryDirectory() + "hactl-sub-\(getpid())-\(UUID().uuidString)"
        let outPath = base + ".out", errPath = base + ".err"
        defer { unlink(outPath); unlink(errPath) }
        let pid = try spawn(argv, environment: environment, stdout: outPath, stderr: errPath,
                            ownProcessGroup: ownProcessGroup)
        let status: Int32
        if let timeout {
            guard let s = wait(pid, timeout: timeout) else { throw .timedOut(command: argv[0], after: timeout) }
            status = s
        } else {
            status = wait(pid)
        }
        return Output(status: status,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func decode(_ status: Int32) -> Int32 {
        (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

public enum SubprocessError: Error, CustomStringConvertible, Sendable {
    case spawn(command: String, errno: Int32)
    case timedOut(command: String, after: Duration)
    /// The waiting task was cancelled; the child (and its process group) was killed and reaped.
    case cancelled(command: String)
    /// A pipe, poll or thread for running the command could not be set up.
    case system(command: String, SystemCallError)

    public var description: String {
        switch self {
        case .spawn(let command, let code): "cannot start \(command): \(String(cString: strerror(code)))"
        case .timedOut(let command, let after): "\(command) did not finish within \(formatDuration(after)); killed"
        case .cancelled(let command): "\(command) was cancelled; killed"
        case .system(let command, let error): "cannot run \(command): \(error)"
        }
    }
}
