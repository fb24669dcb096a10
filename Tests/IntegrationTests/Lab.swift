import Foundation
import Testing

/// Drives examples/three-controller/lab.sh and the built `hactl` for integration tests.
/// Every lab made here is torn down by `down()`, also when a test fails.
struct Lab {
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var script: String { repo + "/examples/three-controller/lab.sh" }
    static var hactl: String {
        ProcessInfo.processInfo.environment["HACTL_BIN"].flatMap { $0.isEmpty ? nil : $0 } ?? repo + "/.build/debug/hactl"
    }

    let run: String
    /// Prefix of this lab's namespace names (lab.sh `LAB_PREFIX`), so labs of different suites never collide.
    var prefix: String = ""
    var config: String { run + "/cluster.yaml" }

    /// The namespace of a lab node (`ctl1`, `client`, ...).
    func ns(_ node: String) -> String { prefix + node }

    /// A fresh run directory with its own config (absolute secret path) and the lab namespaces.
    static func up(configBody: String? = nil, prefix: String = "", name: String = "it") throws -> Lab {
        try requirePrerequisites()
        let run = "/tmp/hactl-\(name)-\(getpid())"
        let lab = Lab(run: run, prefix: prefix)
        _ = try? lab.sh([script, "down"])
        try? FileManager.default.removeItem(atPath: run)
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try (configBody ?? Lab.defaultConfig).write(toFile: lab.config, atomically: true, encoding: .utf8)
        try lab.check([script, "up"])
        return lab
    }

    static let defaultConfig = """
        cluster:
          name: it-cluster
          secret_file: cluster.key
          api_port: 9780
          agent_check_port: 9781
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
          ctl3: { address: 198.18.0.13 }
        checks:
          agent_check: { tcp: 127.0.0.1:9781, interval: 500ms, timeout: 300ms, rise: 1, fall: 1 }

        """

    static func requirePrerequisites() throws {
        guard getuid() == 0 else {
            throw LabError.prerequisite("integration tests need root (network namespaces); run `make test` as root")
        }
        guard FileManager.default.isExecutableFile(atPath: hactl) else {
            throw LabError.prerequisite("no hactl binary at \(hactl); run `swift build` first or set HACTL_BIN")
        }
    }

    func down() {
        _ = try? sh([Lab.script, "down"])
        try? FileManager.default.removeItem(atPath: run)
    }

    func agents() throws { try check([Lab.script, "agents"]) }

    /// `hactl ARGS` run inside the client namespace, with this lab's config.
    func hactl(_ args: [String], in ns: String = "client") throws -> Output {
        try sh(["ip", "netns", "exec", self.ns(ns), Lab.hactl] + args + ["--config", config])
    }

    /// One agent-check exchange from the client namespace.
    func agentCheck(_ address: String, _ request: String) throws -> String {
        let out = try sh(["ip", "netns", "exec", ns("client"), "bash", "-c",
                          "exec 3<>/dev/tcp/\(address)/9781; printf '\(request)\\n' >&3; timeout 3 cat <&3"])
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// HTTP status code and body of a request from the client namespace.
    func curl(_ args: [String]) throws -> (code: Int, body: String) {
        let out = try sh(["ip", "netns", "exec", ns("client"), "curl", "-s", "-m", "5", "-w", "\n%{http_code}"] + args)
        var lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(lines.popLast() ?? "") ?? 0
        return (code, lines.joined(separator: "\n"))
    }

    @discardableResult
    func check(_ args: [String]) throws -> Output {
        let out = try sh(args)
        guard out.code == 0 else { throw LabError.command(args.joined(separator: " "), out) }
        return out
    }

    struct Output: CustomStringConvertible {
        var code: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(code)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// Runs a command with this lab's environment; output is captured through files (no pipe deadlock).
    /// posix_spawn + waitpid rather than Foundation's Process, whose SIGCHLD handling was seen to miss
    /// the exit of a script that leaves daemons behind (the test then hung on a zombie).
    func sh(_ args: [String]) throws -> Output {
        try? FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let outPath = run + "/.out-\(UUID().uuidString)", errPath = outPath + ".err"
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var env = ProcessInfo.processInfo.environment
        env["RUN"] = run
        env["CONFIG"] = config
        env["HACTL_BIN"] = Lab.hactl
        env["LAB_PREFIX"] = prefix
        let argv = (["/usr/bin/env"] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        var attributes = Lab.cleanSpawnAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, envp)
        guard rc == 0 else { throw LabError.command(args.joined(separator: " "), Output(code: -1, stdout: "", stderr: String(cString: strerror(rc)))) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(code: code,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Children start with an empty signal mask and default handlers: the test runner blocks some
    /// signals (SIGTERM among them), and a child that inherits that mask cannot be stopped.
    static func cleanSpawnAttributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes (real servers take real time).
    func eventually(_ timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }
}

enum LabError: Error, CustomStringConvertible {
    case prerequisite(String)
    case command(String, Lab.Output)
    var description: String {
        switch self {
        case .prerequisite(let m): m
        case .command(let c, let out): "command failed: \(c)\n\(out)"
        }
    }
}
