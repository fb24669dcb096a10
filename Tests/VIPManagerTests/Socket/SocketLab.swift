import Dispatch
import Foundation
import HACore
import Synchronization
import Testing
@testable import VIPManager

/// Real-kernel fixtures for the VRRP socket tests: two network namespaces joined by a veth pair, and
/// threads that live inside them.
///
/// Every test makes its own pair (`hactl-ut-<pid>-<n>a` / `...b`, interface `vrrp0` on both sides,
/// 198.18.201.0/24, no default route) and deletes it afterwards, also when the test fails. IPv6 pairs
/// get link-local addresses fe80::1 / fe80::2 and 2001:2::1 / 2001:2::2 (benchmarking range), all
/// without DAD so they are usable at once.
enum SocketLab {
    static let interface = "vrrp0"
    static let addressA = SocketLab.address("198.18.201.1")
    static let addressB = SocketLab.address("198.18.201.2")
    /// A second address on A, to prove `sourceAddress` picks the sender.
    static let secondAddressA = SocketLab.address("198.18.201.11")
    static let linkLocalA = SocketLab.address("fe80::1")
    static let linkLocalB = SocketLab.address("fe80::2")
    static let globalA = SocketLab.address("2001:2::1")
    static let globalB = SocketLab.address("2001:2::2")

    static func address(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
        return address
    }

    /// The tests need CAP_NET_ADMIN (namespaces) and CAP_NET_RAW (raw sockets): fail loudly otherwise.
    static func requireRoot() throws {
        guard geteuid() == 0 else {
            throw LabFailure("VRRP socket tests need root (network namespaces and raw sockets); run `swift test` as root")
        }
    }

    /// Builds a namespace pair, runs `body` with a thread in each namespace, and always tears it all down.
    static func withPair<Result: Sendable>(
        ipv6: Bool = false, _ body: (_ a: NamespaceThread, _ b: NamespaceThread) async throws -> Result
    ) async throws -> Result {
        try requireRoot()
        let pair = NamespacePair(serial: nextSerial.add(1, ordering: .relaxed).newValue)
        defer { pair.destroy() }
        try pair.create(ipv6: ipv6)
        let a = try await NamespaceThread(namespace: pair.a)
        defer { a.stop() }
        let b = try await NamespaceThread(namespace: pair.b)
        defer { b.stop() }
        return try await body(a, b)
    }

    private static let nextSerial = Atomic<Int>(0)

    /// Waits until `fd` is readable, for at most `timeout` milliseconds (a real kernel needs real time
    /// to deliver; this waits for the event, it does not sleep a guessed amount).
    static func waitReadable(_ fd: Int32, timeout: Int32 = 2000) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&entry, 1, timeout)
            if result == -1 && errno == EINTR { continue }
            return result == 1 && entry.revents & Int16(POLLIN) != 0
        }
    }

    /// Waits for the next batch on `socket` and returns it (empty on timeout).
    static func receiveNext(_ socket: VRRPSocket, timeout: Int32 = 2000) throws -> [ReceivedDatagram] {
        guard waitReadable(socket.fileDescriptor, timeout: timeout) else { return [] }
        return try socket.receive()
    }

    /// Bytes the kernel has charged to the socket's receive queue (`SO_MEMINFO`, SK_MEMINFO_RMEM_ALLOC).
    static func queuedBytes(_ fd: Int32) -> UInt32 {
        var info = [UInt32](repeating: 0, count: 16)
        var length = socklen_t(info.count * 4)
        guard getsockopt(fd, SOL_SOCKET, SO_MEMINFO, &info, &length) == 0 else { return 0 }
        return info[0]
    }

    /// A VRRPv3 advert from `source` to `destination`, encoded by the project's codec.
    static func advert(vrid: UInt8 = 51, priority: UInt8 = 150, from source: IPAddress, to destination: IPAddress,
                       addresses: [IPAddress]? = nil) -> [UInt8] {
        let vip = source.isIPv4 ? address("198.18.201.10") : address("2001:2::10")
        let advertisement = VRRPAdvertisement(vrid: vrid, priority: priority, maxAdvertInterval: .milliseconds(100),
                                              addresses: addresses ?? [vip])
        return (try? VRRPCodec.encode(advertisement, source: source, destination: destination)) ?? []
    }

    static func policy(_ family: VRRPReceivePolicy.Family, vrids: Set<UInt8> = [51]) -> VRRPReceivePolicy {
        VRRPReceivePolicy(vrids: vrids, family: family)
    }

    /// Runs `argv` (through `/usr/bin/env`) to completion; output goes to files, not pipes, so nothing
    /// can deadlock on a full pipe. Blocking: call it on a `NamespaceThread`, never on the test's task.
    @discardableResult
    static func run(_ argv: [String], check: Bool = true) throws -> CommandOutput {
        let out = try Subprocess.run(argv)
        let output = CommandOutput(code: out.status, stdout: out.stdout, stderr: out.stderr)
        if check && output.code != 0 {
            throw LabFailure("`\(argv.joined(separator: " "))` exited \(output.code): \(output.stderr)")
        }
        return output
    }

    struct CommandOutput: Sendable {
        var code: Int32
        var stdout: String
        var stderr: String
    }
}

struct LabFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Two namespaces with a veth pair; `destroy()` is safe to call whatever `create` got through.
struct NamespacePair: Sendable {
    let a: String
    let b: String

    init(serial: Int) {
        a = "hactl-ut-\(getpid())-\(serial)a"
        b = "hactl-ut-\(getpid())-\(serial)b"
    }

    func create(ipv6: Bool) throws {
        let interface = SocketLab.interface
        for namespace in [a, b] {
            try SocketLab.run(["ip", "netns", "add", namespace])
            try SocketLab.run(["ip", "-n", namespace, "link", "set", "lo", "up"])
            if ipv6 {
                // The lab may disable IPv6; a new veth copies `default`, so enable it before creating one.
                try SocketLab.run(["ip", "netns", "exec", namespace, "sysctl", "-qw",
                                   "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0"])
            }
        }
        try SocketLab.run(["ip", "-n", a, "link", "add", interface, "type", "veth", "peer", "name", interface,
                           "netns", b])
        try SocketLab.run(["ip", "-n", a, "address", "add", "198.18.201.1/24", "dev", interface])
        try SocketLab.run(["ip", "-n", a, "address", "add", "198.18.201.11/24", "dev", interface])
        try SocketLab.run(["ip", "-n", b, "address", "add", "198.18.201.2/24", "dev", interface])
        if ipv6 {
            for (namespace, host) in [(a, "1"), (b, "2")] {
                // Only the addresses below: no generated link-local whose DAD would leave it tentative.
                try SocketLab.run(["ip", "-n", namespace, "link", "set", interface, "addrgenmode", "none"])
                try SocketLab.run(["ip", "-n", namespace, "address", "add", "fe80::\(host)/64", "dev", interface, "nodad"])
                try SocketLab.run(["ip", "-n", namespace, "address", "add", "2001:2::\(host)/64", "dev", interface, "nodad"])
            }
        }
        for namespace in [a, b] {
            try SocketLab.run(["ip", "-n", namespace, "link", "set", interface, "up"])
        }
        try waitForCarrier()
    }

    /// The kernel activates a veth's queueing (linkwatch) asynchronously after carrier-on, up to a
    /// second later; a packet sent before that is dropped. Checked, not slept on: usually ready at once.
    private func waitForCarrier() throws {
        let deadline = ContinuousClock.now + .seconds(3)
        for namespace in [a, b] {
            while true {
                let line = try SocketLab.run(["ip", "-n", namespace, "-o", "link", "show", SocketLab.interface]).stdout
                if line.contains("LOWER_UP"), line.contains("state UP"), !line.contains("qdisc noop") { break }
                guard ContinuousClock.now < deadline else { throw LabFailure("\(namespace): veth not up: \(line)") }
                _ = poll(nil, 0, 10)
            }
        }
    }

    func destroy() {
        for namespace in [a, b] {
            _ = try? SocketLab.run(["ip", "netns", "del", namespace], check: false)
        }
    }
}

/// A dedicated thread that has entered one network namespace (`setns`) and runs jobs there in order.
///
/// Namespaces are per thread, so nothing here touches the cooperative pool: jobs may block (poll,
/// waitpid) without starving it. A socket belongs to the namespace it was created in, so every
/// socket a test uses is opened inside a job.
final class NamespaceThread: Sendable {
    let namespace: String
    private let jobs = Mutex<[Job]>([])
    private let wakeUp = DispatchSemaphore(value: 0)

    private enum Job {
        case run(@Sendable () -> Void)
        case stop
    }

    init(namespace: String) async throws {
        self.namespace = namespace
        let fd = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LabFailure("open /run/netns/\(namespace): errno \(errno)") }
        try await withCheckedThrowingContinuation { (entered: CheckedContinuation<Void, any Error>) in
            let thread = Thread { [self] in
                let result = Self.setns(fd, Self.newNetworkNamespace)
                let code = errno
                Glibc.close(fd)
                guard result == 0 else {
                    entered.resume(throwing: LabFailure("setns(\(namespace)): errno \(code)"))
                    return
                }
                entered.resume()
                serve()
            }
            thread.name = "ns-\(namespace)"
            thread.start()
        }
    }

    /// Runs `body` on this thread (inside the namespace) and returns its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.run { continuation.resume(with: Swift.Result { try body() }) })
        }
    }

    /// Ends the thread after the jobs already queued.
    func stop() {
        enqueue(.stop)
    }

    private func enqueue(_ job: Job) {
        jobs.withLock { $0.append(job) }
        wakeUp.signal()
    }

    private func serve() {
        while true {
            wakeUp.wait()
            let job = jobs.withLock { $0.removeFirst() }
            guard case .run(let body) = job else { return }
            body()
        }
    }

    /// `setns(2)` and CLONE_NEWNET: glibc declares them only under _GNU_SOURCE, which Swift's Glibc
    /// module does not see, so the symbol is looked up at run time.
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { fatalError("setns not found in libc") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    private static let newNetworkNamespace: Int32 = 0x4000_0000
}
