import Foundation
import HACore
import HATestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct LocalRabbitMQError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One `rabbitmq-server` (3.10, management plugin on) started by a test inside a private network
/// namespace, reachable from the test process over a veth pair: 198.18.250.1/30 on our side,
/// 198.18.250.2/30 in the namespace, where the broker listens (AMQP 5672, management 15672) and runs
/// its own epmd, so it never meets another broker on this machine.
///
/// Needs root (namespaces; the broker runs as `rabbitmq` via `setpriv`). Its mnesia, log, config,
/// cookie and password file live in a temporary directory. ``stop()`` kills, by PID, the broker and
/// the processes left in the namespace (epmd, helpers), deletes the veth pair and the namespace, and
/// removes the directory.
final class LocalRabbitMQ: Sendable {
    static let server = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    static let rabbitmqctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"
    static let ourAddress = "198.18.250.1"
    static let brokerAddress = "198.18.250.2"
    static let amqpPort = 5672
    static let managementPort = 15672
    static let nodeName = "rabbit@localhost"
    /// Root (the broker runs in a private network namespace) and rabbitmq-server installed
    /// (`make test` installs it); suites that start a broker skip otherwise.
    static var usable: Bool { geteuid() == 0 && access(server, X_OK) == 0 }
    static let user = "hactl"

    /// The broker of the suite running under ``LocalRabbitMQTrait``.
    @TaskLocal static var current: LocalRabbitMQ?

    let namespace: String
    let directory: String
    let password: String
    var passwordFile: String { directory + "/rabbit.pass" }
    /// The `beam.smp` process (spawned through `ip netns exec` and `setpriv`, which both exec).
    let pid: pid_t
    private let ourLink: String
    private let environment: [String: String]

    /// Creates the namespace and veth pair, writes the config, starts the broker and returns once
    /// both listeners accept connections (bounded).
    init() throws {
        let tag = String(getpid(), radix: 16)
        namespace = "hactl-mqt-\(tag)"
        ourLink = "mqt\(tag)r"
        guard let made = mkdtemp(strdup("/tmp/hactl-mqt.XXXXXX")) else {
            throw LocalRabbitMQError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        free(made)
        password = "hactl-test-\(UInt32.random(in: 0...UInt32.max))"
        environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": directory + "/home", "LANG": "C.UTF-8",
            "RUNNING_UNDER_SYSTEMD": "1",  // rabbitmq-server execs erl: our child is beam.smp itself
            "RABBITMQ_NODENAME": Self.nodeName, "RABBITMQ_MNESIA_BASE": directory + "/mnesia",
            "RABBITMQ_LOG_BASE": directory + "/log", "RABBITMQ_CONFIG_FILE": directory + "/rabbitmq.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": directory + "/enabled_plugins", "RABBITMQ_PID_FILE": directory + "/pid",
            "RABBITMQ_LOGS": "-",
        ]
        var started: pid_t = 0
        do {
            try Self.setUpNetwork(namespace: namespace, ourLink: ourLink, peerLink: "mqt\(tag)n")
            try Self.writeFiles(directory: directory, password: password)
            started = try Subprocess.spawn(
                ["/usr/sbin/ip", "netns", "exec", namespace, "/usr/bin/setpriv", "--reuid=rabbitmq", "--regid=rabbitmq",
                 "--init-groups", Self.server],
                environment: environment, stdout: directory + "/server.out")
            pid = started
            try waitUntilListening()
        } catch {
            Self.tearDown(pid: started, namespace: namespace, ourLink: ourLink, directory: directory)
            throw error
        }
    }

    /// Kills everything in the namespace by PID, removes the network pieces and the directory.
    /// Idempotent enough to run after a failed start.
    func stop() {
        Self.tearDown(pid: pid, namespace: namespace, ourLink: ourLink, directory: directory)
    }

    /// Sends `number` to the broker; SIGSTOP returns once every beam thread is stopped (bounded).
    func signal(_ number: Int32) {
        ProcessStop.signal(pid, number)
    }

    /// `rabbitmqctl -n rabbit@localhost ARGS` inside the namespace; its output, or an error.
    @discardableResult
    func ctl(_ arguments: String...) throws -> String {
        let output = try Subprocess.run(
            ["/usr/sbin/ip", "netns", "exec", namespace, Self.rabbitmqctl, "-n", Self.nodeName] + arguments,
            environment: environment, timeout: .seconds(60))
        guard output.status == 0 else {
            throw LocalRabbitMQError("rabbitmqctl \(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output.stdout
    }

    func log() -> String {
        (try? String(contentsOfFile: directory + "/server.out", encoding: .utf8)).map { String($0.suffix(3000)) } ?? ""
    }

    // MARK: - Setup

    private static func setUpNetwork(namespace: String, ourLink: String, peerLink: String) throws {
        if Self.addressInUse() {
            throw LocalRabbitMQError("\(ourAddress) is already configured here (another LocalRabbitMQ running, or a leftover)")
        }
        try ip("netns", "add", namespace)
        try ip("link", "add", ourLink, "type", "veth", "peer", "name", peerLink)
        try ip("link", "set", peerLink, "netns", namespace)
        try ip("addr", "add", "\(ourAddress)/30", "dev", ourLink)
        try ip("link", "set", ourLink, "up")
        try ip("-n", namespace, "addr", "add", "\(brokerAddress)/30", "dev", peerLink)
        try ip("-n", namespace, "link", "set", peerLink, "up")
        try ip("-n", namespace, "link", "set", "lo", "up")
    }

    private static func writeFiles(directory: String, password: String) throws {
        let passwordFile = directory + "/rabbit.pass"
        let fm = FileManager.default
        for sub in ["mnesia", "log", "home"] {
            try fm.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let cookie = directory + "/home/.erlang.cookie"
        try "HACTLTEST\(UInt64.random(in: 0...UInt64.max))".write(toFile: cookie, atomically: true, encoding: .utf8)
        chmod(cookie, 0o400)
        try """
            listeners.tcp.1 = \(brokerAddress):\(Self.amqpPort)
            management.tcp.ip = \(brokerAddress)
            management.tcp.port = \(managementPort)
            loopback_users = none
            default_user = \(user)
            default_pass = \(password)
            default_user_tags.administrator = true

            """.write(toFile: directory + "/rabbitmq.conf", atomically: true, encoding: .utf8)
        try "[rabbitmq_management].\n".write(toFile: directory + "/enabled_plugins", atomically: true, encoding: .utf8)
        try run(["/usr/bin/chown", "-R", "rabbitmq:rabbitmq", directory])
        chmod(directory, 0o755)
        // The password file stays root's, 0600, as /etc/hactl/rabbit.pass would be.
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chown(passwordFile, 0, 0)
        chmod(passwordFile, 0o600)
    }

    private func waitUntilListening() throws {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if Self.accepts(port: Self.managementPort), Self.accepts(port: Self.amqpPort) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw LocalRabbitMQError("rabbitmq-server exited (status \(status)): \(log())")
            }
            usleep(100_000)
        }
        throw LocalRabbitMQError("rabbitmq-server did not listen within 90s: \(log())")
    }

    // MARK: - Teardown

    private static func tearDown(pid: pid_t, namespace: String, ourLink: String, directory: String) {
        if pid > 0 {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
            _ = Subprocess.wait(pid)
        }
        // epmd and the broker's helpers outlive it inside the namespace: stop them by PID.
        if let listed = try? Subprocess.run(["/usr/sbin/ip", "netns", "pids", namespace], timeout: .seconds(10)) {
            for line in listed.stdout.split(separator: "\n") {
                if let other = pid_t(line.trimmingCharacters(in: .whitespaces)), other > 0 { kill(other, SIGKILL) }
            }
        }
        _ = try? Subprocess.run(["/usr/sbin/ip", "link", "del", ourLink], timeout: .seconds(10))
        _ = try? Subprocess.run(["/usr/sbin/ip", "netns", "del", namespace], timeout: .seconds(10))
        _ = try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Helpers

    private static func ip(_ arguments: String...) throws {
        try run(["/usr/sbin/ip"] + arguments)
    }

    private static func run(_ argv: [String]) throws {
        let output = try Subprocess.run(argv, timeout: .seconds(30))
        guard output.status == 0 else { throw LocalRabbitMQError("`\(argv.joined(separator: " "))` failed: \(output)") }
    }

    private static func addressInUse() -> Bool {
        let output = try? Subprocess.run(["/usr/sbin/ip", "-4", "-o", "addr", "show"], timeout: .seconds(10))
        return output?.stdout.contains(" \(ourAddress)/") ?? false
    }

    /// Whether the broker accepts TCP connections on `port` (at ``brokerAddress``).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, brokerAddress, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Starts one ``LocalRabbitMQ`` around a whole suite (``LocalRabbitMQ/current`` inside it) and stops
/// it afterwards, whether the tests passed or not.
struct LocalRabbitMQTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let broker = try LocalRabbitMQ()
        defer { broker.stop() }
        try await LocalRabbitMQ.$current.withValue(broker) { try await function() }
    }
}

extension Trait where Self == LocalRabbitMQTrait {
    /// One broker for the suite.
    static var localRabbitMQ: Self { Self() }
}
