#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing

/// Named network namespaces for one test, created before its body and deleted afterwards on
/// every path (success, thrown error, failed `#require`).
///
/// The body runs on a dedicated `NetnsExecutor` already moved into `names[0]`; `enter(_:)`
/// moves it into another of the test's namespaces. Sockets keep the namespace they were opened
/// in, so a receiver opened in one namespace can be read after entering another.
final class NetnsLab: Sendable {
    /// `hactl-ut-<pid>-<n>`: unique per process and per test. A crashed run leaves them behind;
    /// they are not swept automatically because other test processes share the prefix.
    let names: [String]
    private let thread: NetnsExecutor

    private init(names: [String], thread: NetnsExecutor) {
        self.names = names
        self.thread = thread
    }

    static let prefix = "hactl-ut-"
    private static let counter = Atomic<Int>(0)

    /// Creates `count` namespaces, runs `body` on a thread inside the first, deletes them all.
    static func run<T>(namespaces count: Int, _ body: (NetnsLab) throws -> T) async throws -> T {
        try #require(geteuid() == 0, """
            VIPManager plumbing tests need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN): they \
            create network namespaces, veth pairs and raw sockets. Run `swift test` as root.
            """)
        let names = (0..<count).map { _ in
            "\(prefix)\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        }
        var created: [String] = []
        defer {
            for name in created {
                _ = try? PlumbingCommand.run(["ip", "netns", "delete", name])
            }
        }
        for name in names {
            try PlumbingCommand.run(["ip", "netns", "add", name])
            created.append(name)
        }
        let thread = try NetnsExecutor()
        defer { thread.stop() }
        let lab = NetnsLab(names: names, thread: thread)
        return try await withTaskExecutorPreference(thread) {
            try lab.enter(0)
            return try body(lab)
        }
    }

    /// Moves the calling (dedicated) thread into `names[index]` and checks it arrived.
    func enter(_ index: Int) throws {
        precondition(thread.isCurrent, "namespace changes only on the lab's own thread")
        let path = "/run/netns/\(names[index])"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PlumbingTestError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Self.setns(fd, Self.cloneNewNet) == 0 else {
            throw PlumbingTestError("setns \(path): \(String(cString: strerror(errno)))")
        }
        guard try Self.inode("/proc/thread-self/ns/net") == Self.inode(path) else {
            throw PlumbingTestError("thread is not in \(names[index]) after setns")
        }
    }

    /// `ip -n <names[index]> ARGS...`, returning its output.
    @discardableResult
    func ip(_ index: Int, _ arguments: String) throws -> String {
        try PlumbingCommand.run(["ip", "-n", names[index]] + arguments.split(separator: " ").map(String.init))
    }

    /// `sysctl -qw` settings inside `names[index]`.
    func sysctl(_ index: Int, _ settings: [String]) throws {
        try PlumbingCommand.run(["ip", "netns", "exec", names[index], "sysctl", "-qw"] + settings)
    }

    /// Creates veth `name` in `names[index]` with its peer in `names[peerIndex]`, both up.
    func veth(_ name: String, in index: Int, peer: String, in peerIndex: Int, mac: String? = nil) throws {
        try ip(index, "link add name \(name) type veth peer name \(peer) netns \(names[peerIndex])")
        if let mac { try ip(index, "link set \(name) address \(mac)") }
        try ip(index, "link set \(name) up")
        try ip(peerIndex, "link set \(peer) up")
    }

    /// Waits for an asynchronous kernel change (linkwatch turning a link operationally up)
    /// by polling `condition` every millisecond for at most `timeout`.
    func waitForKernel(_ what: String, timeout: Duration = .seconds(3), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw PlumbingTestError("timed out waiting for \(what)") }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// `CLONE_NEWNET` from <sched.h>.
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// glibc's `setns`, looked up at run time: Glibc's module hides it behind _GNU_SOURCE.
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "setns") else { fatalError("glibc has no setns") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    private static func inode(_ path: String) throws -> ino_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw PlumbingTestError("stat \(path): \(String(cString: strerror(errno)))") }
        return info.st_ino
    }
}
