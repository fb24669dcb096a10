import Foundation
import HACore
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

    /// The controllers' addresses on the lab bridge (lab.sh LAN_ADDR).
    static let controllerAddress = ["ctl1": "198.18.0.11", "ctl2": "198.18.0.12", "ctl3": "198.18.0.13"]

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

    /// Runs a command with this lab's environment (RUN, CONFIG, HACTL_BIN, LAB_PREFIX) to completion.
    func sh(_ args: [String]) throws -> Output {
        let out = try Subprocess.run(args, environment: environment)
        return Output(code: out.status, stdout: out.stdout, stderr: out.stderr)
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RUN"] = run
        env["CONFIG"] = config
        env["HACTL_BIN"] = Lab.hactl
        env["LAB_PREFIX"] = prefix
        return env
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
