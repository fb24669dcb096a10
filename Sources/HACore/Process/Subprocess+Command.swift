#if canImport(Glibc)
import Glibc
#endif
import Synchronization

extension Subprocess {
    /// One run of a program: what to start, what it reads on stdin, how long it may take and how
    /// much of its output is kept. Fence agents are the model user: their options, a BMC password
    /// among them, go on stdin as `key=value` lines (``keyValueLines(_:)``), never in argv (readable
    /// by every user in /proc/PID/cmdline) nor in the environment (/proc/PID/environ, inherited by
    /// everything the agent starts).
    ///
    /// stdout and stderr are pipes, read until the child exits: something the command leaves running
    /// in the background that keeps writing to them afterwards gets EPIPE (or dies of SIGPIPE). To
    /// start a daemon, use `spawn(_:stdout:stderr:)` with files, as the lab scripts do.
    public struct Command: Sendable {
        /// The program and its arguments; looked up on PATH through /usr/bin/env unless absolute.
        public var argv: [String]
        /// The child's whole environment; nil: the agent's own.
        public var environment: [String: String]?
        /// Written to the child's stdin, which is then closed (the child reads end of file). Empty:
        /// stdin is /dev/null.
        public var input: [UInt8]
        /// Past it the child, and with `ownProcessGroup` its whole process group, gets SIGKILL and is
        /// reaped; the run fails with `SubprocessError.timedOut`.
        public var timeout: Duration?
        /// How many bytes of stdout and of stderr (each) are kept; the rest is read and dropped, and
        /// `Output.stdoutTruncated`/`stderrTruncated` say so. The child never blocks on a full pipe.
        public var outputLimit: Int
        /// The child leads a new process group, so a timeout or cancellation also kills what it
        /// started (`sleep 100 &`).
        public var ownProcessGroup: Bool

        public init(_ argv: [String], environment: [String: String]? = nil, input: [UInt8] = [],
                    timeout: Duration? = nil, outputLimit: Int = 1 << 20, ownProcessGroup: Bool = true) {
            precondition(!argv.isEmpty, "a command needs a program")
            precondition(outputLimit >= 0, "outputLimit must not be negative")
            self.argv = argv
            self.environment = environment
            self.input = input
            self.timeout = timeout
            self.outputLimit = outputLimit
            self.ownProcessGroup = ownProcessGroup
        }

        /// `key=value\n` lines in the given order, the stdin protocol of the fence agents
        /// (`action=status`, `ip=...`, `password=...`). Nil if a key is empty or holds `=` or a line
        /// break, or a value holds a line break: either would let a value add options of its own.
        public static func keyValueLines(_ pairs: [(key: String, value: String)]) -> [UInt8]? {
            var text = ""
            for (key, value) in pairs {
                guard !key.isEmpty, !key.contains("="), !key.contains(where: \.isNewline),
                      !value.contains(where: \.isNewline) else { return nil }
                text += "\(key)=\(value)\n"
            }
            return Array(text.utf8)
        }
    }

    /// Runs `command` to completion on a thread of its own and waits for it (blocking the caller:
    /// call it from a thread of your own; async code uses the async overload).
    public static func run(_ command: Command) throws(SubprocessError) -> Output {
        let result = Mutex<Result<Output, SubprocessError>?>(nil)
        let thread: pthread_t
        do {
            thread = try ChildThread.start { result.withLock { $0 = execute(command, cancel: nil) } }
        } catch {
            throw .system(command: command.argv[0], error)
        }
        pthread_join(thread, nil)
        return try result.withLock { $0! }.get()
    }

    /// Runs `command` without blocking the cooperative pool: the child is started, fed and watched
    /// by a thread of its own. Cancelling the calling task kills the child (with `ownProcessGroup`
    /// its whole group) with SIGKILL, reaps it, and throws `SubprocessError.cancelled`; a task that
    /// is already cancelled starts nothing.
    public static func run(_ command: Command) async throws(SubprocessError) -> Output {
        let canceller: Canceller
        do {
            canceller = try Canceller()
        } catch {
            throw .system(command: command.argv[0], error)
        }
        defer { canceller.close() }
        let result: Result<Output, SubprocessError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                do throws(SystemCallError) {
                    let thread = try ChildThread.start {
                        continuation.resume(returning: execute(command, cancel: canceller.readEnd))
                    }
                    pthread_detach(thread)
                } catch {
                    continuation.resume(returning: .failure(.system(command: command.argv[0], error)))
                }
            }
        } onCancel: {
            canceller.fire()
        }
        return try result.get()
    }

    // MARK: - The engine (runs on a thread of its own, every signal blocked)

    /// Starts the child with pipes on its streams, writes `input`, reads both outputs (bounded),
    /// and waits for the child's exit, the deadline, or a byte on `cancel`, whichever comes first.
    static func execute(_ command: Command, cancel: Int32?) -> Result<Output, SubprocessError> {
        let name = command.argv[0]
        if let cancel, Descriptors.isReadable(cancel) { return .failure(.cancelled(command: name)) }
        let fds = Descriptors()
        defer { fds.closeAll() }
        let pid: pid_t
        var stdinWrite: Int32?
        let stdoutRead: Int32, stderrRead: Int32
        do throws(SystemCallError) {
            let input = command.input.isEmpty ? nil : try fds.pipe()
            let out = try fds.pipe(), err = try fds.pipe()
            do throws(SubprocessError) {
                pid = try spawn(command.argv, environment: command.environment,
                                stdin: input.map { .descriptor($0.read) } ?? .file("/dev/null", O_RDONLY),
                                stdout: .descriptor(out.write), stderr: .descriptor(err.write),
                                ownProcessGroup: command.ownProcessGroup)
            } catch {
                return .failure(error)
            }
            // The child holds its own copies; ours would keep the pipes from ever reaching end of file.
            [input?.read, out.write, err.write].compactMap { $0 }.forEach(fds.close)
            stdinWrite = input?.write
            stdoutRead = out.read
            stderrRead = err.read
            for fd in [stdinWrite, stdoutRead, stderrRead].compactMap({ $0 }) { try Descriptors.setNonBlocking(fd) }
        } catch {
            return .failure(.system(command: name, error))
        }

        let exitFD = PidFD.open(pid)
        defer { if let exitFD { Glibc.close(exitFD) } }
        var stdout = Capture(limit: command.outputLimit), stderr = Capture(limit: command.outputLimit)
        var reading: [Int32: Bool] = [stdoutRead: true, stderrRead: false]   // fd -> is stdout
        var written = 0
        let deadline = command.timeout.map { ContinuousClock.now + $0 }

        func killAndReap() {
            if command.ownProcessGroup && getpgid(pid) == pid { kill(-pid, SIGKILL) }
            kill(pid, SIGKILL)
            _ = wait(pid)
        }

        func drain(_ fd: Int32, untilBlocked: Bool) -> Bool {
            // Returns false at end of file or on an error: stop watching fd.
            var chunk = [UInt8](repeating: 0, count: 65_536)
            repeat {
                let count: Int
                do throws(SystemCallError) {
                    count = try Syscall.retryingOnEINTR("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
                } catch {
                    return error.errno == EAGAIN || error.errno == EWOULDBLOCK
                }
                guard count > 0 else { return false }
                if reading[fd] == true { stdout.append(chunk[..<count]) } else { stderr.append(chunk[..<count]) }
            } while untilBlocked
            return true
        }

        while true {
            var status: Int32 = 0
            let reaped: pid_t
            do throws(SystemCallError) {
                reaped = try Syscall.retryingOnEINTR("waitpid") { waitpid(pid, &status, WNOHANG) }
            } catch {
                return .failure(.system(command: name, error))
            }
            if reaped == pid {
                // Whatever the child wrote is in the pipes now; a grandchild may hold them open, so
                // read what is there and do not wait for end of file.
                for fd in reading.keys { _ = drain(fd, untilBlocked: true) }
                return .success(Output(status: decode(status), stdout: stdout.text, stderr: stderr.text,
                                       stdoutTruncated: stdout.truncated, stderrTruncated: stderr.truncated))
            }
            var waitMs: Int32 = exitFD == nil ? 10 : -1   // without a pidfd, look at the child every 10 ms
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero {
                    killAndReap()
                    return .failure(.timedOut(command: name, after: command.timeout ?? .zero))
                }
                let ms = Int32(clamping: (left.components.seconds * 1000) + (left.components.attoseconds / 1_000_000_000_000_000) + 1)
                waitMs = waitMs < 0 ? ms : min(waitMs, ms)
            }
            var polled: [pollfd] = []
            if let stdinWrite { polled.append(pollfd(fd: stdinWrite, events: Int16(POLLOUT), revents: 0)) }
            for fd in reading.keys { polled.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if let cancel { polled.append(pollfd(fd: cancel, events: Int16(POLLIN), revents: 0)) }
            if let exitFD { polled.append(pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)) }
            do throws(SystemCallError) {
                try Syscall.retryingOnEINTR("poll") {
                    polled.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), waitMs) }
                }
            } catch {
                killAndReap()
                return .failure(.system(command: name, error))
            }
            for entry in polled where entry.revents != 0 {
                if entry.fd == cancel {
                    killAndReap()
                    return .failure(.cancelled(command: name))
                } else if entry.fd == stdinWrite {
                    var failed = false
                    do throws(SystemCallError) {
                        let offset = written
                        written += try Syscall.retryingOnEINTR("write") {
                            command.input.withUnsafeBytes { Glibc.write(entry.fd, $0.baseAddress! + offset, $0.count - offset) }
                        }
                    } catch {
                        // EPIPE: the child closed its stdin (SIGPIPE is blocked on this thread).
                        failed = error.errno != EAGAIN && error.errno != EWOULDBLOCK
                    }
                    if written == command.input.count || failed {
                        fds.close(entry.fd)
                        stdinWrite = nil
                    }
                } else if reading[entry.fd] != nil {
                    if !drain(entry.fd, untilBlocked: false) {
                        reading[entry.fd] = nil
                        fds.close(entry.fd)
                    }
                }
            }
        }
    }

    /// A bounded output buffer: keeps the first `limit` bytes, counts the rest as dropped.
    struct Capture {
        let limit: Int
        var bytes: [UInt8] = []
        var truncated = false

        init(limit: Int) { self.limit = limit }

        mutating func append(_ chunk: ArraySlice<UInt8>) {
            let room = limit - bytes.count
            if chunk.count > room { truncated = true }
            bytes.append(contentsOf: chunk.prefix(max(room, 0)))
        }

        var text: String { String(decoding: bytes, as: UTF8.self) }
    }
}

/// The descriptors one run opened; whatever is still open at the end is closed.
private final class Descriptors {
    private var open: Set<Int32> = []

    func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        let ends = try Pipe2.make(flags: O_CLOEXEC)
        open.insert(ends[0])
        open.insert(ends[1])
        return (ends[0], ends[1])
    }

    func close(_ fd: Int32) {
        if open.remove(fd) != nil { Glibc.close(fd) }
    }

    func closeAll() {
        open.forEach { Glibc.close($0) }
        open.removeAll()
    }

    static func setNonBlocking(_ fd: Int32) throws(SystemCallError) {
        let flags = try Syscall.retryingOnEINTR("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        try Syscall.retryingOnEINTR("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func isReadable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents != 0
    }
}

/// The cancellation signal of one async run: a pipe whose read end the engine watches. `fire` and
/// `close` share a lock, so a late cancellation never writes to a closed (or reused) descriptor.
private final class Canceller: Sendable {
    let readEnd: Int32
    private let writeEnd: Mutex<Int32?>

    init() throws(SystemCallError) {
        let ends = try Pipe2.make(flags: O_CLOEXEC | O_NONBLOCK)
        readEnd = ends[0]
        writeEnd = Mutex(ends[1])
    }

    func fire() {
        writeEnd.withLock { fd in
            guard let fd else { return }
            var byte: UInt8 = 1
            _ = Glibc.write(fd, &byte, 1)
        }
    }

    func close() {
        writeEnd.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
        Glibc.close(readEnd)
    }
}

/// `pipe2(2)`, which Swift's Glibc module does not export (it needs _GNU_SOURCE): looked up at run
/// time. Close-on-exec must be set atomically with the pipe's creation, or a child another thread
/// spawns in between inherits our end and holds the pipe open.
private enum Pipe2 {
    private typealias Function = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let function: Function? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()

    static func make(flags: Int32) throws(SystemCallError) -> [Int32] {
        var ends: [Int32] = [-1, -1]
        if let function {
            try Syscall.retryingOnEINTR("pipe2") { ends.withUnsafeMutableBufferPointer { function($0.baseAddress!, flags) } }
            return ends
        }
        try Syscall.retryingOnEINTR("pipe") { pipe(&ends) }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if flags & O_NONBLOCK != 0 { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        }
        return ends
    }
}

/// `pidfd_open(2)` when the C library has it (glibc 2.36+): the descriptor turns readable when the
/// child exits, so the engine sleeps in `poll` instead of looking every few milliseconds. Looked up
/// at run time; nil (and the 10 ms fallback) where it is missing.
enum PidFD {
    private typealias Open = @convention(c) (pid_t, UInt32) -> Int32
    private static let function: Open? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pidfd_open") else { return nil }
        return unsafeBitCast(symbol, to: Open.self)
    }()

    static func open(_ pid: pid_t) -> Int32? {
        guard let function else { return nil }
        let fd = function(pid, 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}

/// A plain thread with every signal blocked: SIGPIPE from writing to a child that closed its stdin
/// becomes EPIPE, and no process-directed signal meant for the agent's handlers lands here.
enum ChildThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    static func start(_ body: @escaping @Sendable () -> Void) throws(SystemCallError) -> pthread_t {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        // The new thread inherits the mask in force here: all blocked from its first instruction.
        var all = sigset_t(), previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemCallError(call: "pthread_create", errno: rc)
        }
        return thread
    }
}
