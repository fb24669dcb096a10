#if canImport(Glibc)
import Glibc
#endif
import HACore

/// Runs a fence-agents program (fence_ipmilan, fence_redfish, ...) for one host, with the options on
/// stdin as `key=value` lines: the BMC password (read from `password_file` at each call) is never in
/// argv, the environment, a log line or an error. Every text that leaves this type has the password
/// replaced by `***`, in case an agent echoes it.
///
/// `fence()` is the workflow's one question: `off`, then `status` until it reads OFF (bounded), so an
/// `off` that the BMC accepted but did not carry out is not taken for a fenced host.
public struct FenceRunner: Sendable {
    /// One fence-agent action.
    public enum Action: String, Sendable {
        case off, on, status, reboot
        /// `monitor`: is the BMC reachable with these credentials (no power change).
        case monitor
    }

    /// What one call of the agent said.
    public struct CallResult: Sendable, Equatable {
        public var exitStatus: Int32
        /// stdout and stderr, password removed, at most a few lines.
        public var output: String
    }

    /// Power as `action=status` reports it.
    public enum Power: Sendable, Equatable {
        case on, off
        case unknown(String)
    }

    public let host: String
    public let config: FenceConfig
    /// One call of the agent (fence_ipmilan's own default is 20 s of power wait).
    public var callTimeout: Duration
    /// `status` calls after `off` before it counts as not confirmed.
    public var statusChecks: Int
    /// Where a program name is looked up (absolute paths are used as they are).
    public var searchPath: [String]

    public init(host: String, config: FenceConfig, callTimeout: Duration = .seconds(30), statusChecks: Int = 3,
                searchPath: [String] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
        self.host = host
        self.config = config
        self.callTimeout = callTimeout
        self.statusChecks = max(statusChecks, 1)
        self.searchPath = searchPath
    }

    /// `off`, then `status` until it says OFF. Never throws: every failure is an outcome with the
    /// agent's words (password removed).
    public func fence() async -> FenceOutcome {
        let off: CallResult
        do {
            off = try await call(.off)
        } catch {
            return .failed(error.description)
        }
        guard off.exitStatus == 0 else {
            return .failed("\(agentName) off exited \(off.exitStatus): \(off.output)")
        }
        var last = "no status read"
        for _ in 0..<statusChecks {
            switch await power() {
            case .off:
                return .confirmedOff
            case .on:
                last = "\(agentName) status: ON after off"
            case .unknown(let why):
                last = why
            }
        }
        return .notConfirmed(last)
    }

    /// `status`: fence-agents print `Status: ON|OFF`; exit 0 = on, 2 = off (the agents' convention).
    public func power() async -> Power {
        let result: CallResult
        do {
            result = try await call(.status)
        } catch {
            return .unknown(error.description)
        }
        return Self.parsePower(result, agent: agentName)
    }

    /// Reads what `status` printed; the text decides when it is there, else the exit status.
    static func parsePower(_ result: CallResult, agent: String) -> Power {
        for line in result.output.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces().lowercased() }
            if words.count == 2, words[0] == "status" {
                if words[1] == "off" { return .off }
                if words[1] == "on" { return .on }
            }
        }
        switch result.exitStatus {
        case 2: return .off
        case 0: return .on
        default: return .unknown("\(agent) status exited \(result.exitStatus): \(result.output)")
        }
    }

    /// One call of the agent. Throws a ``FenceError`` (agent missing, password unreadable, options
    /// that would inject a line, timeout) whose text holds no secret.
    public func call(_ action: Action) async throws(FenceError) -> CallResult {
        guard let program = resolveAgent() else {
            throw FenceError("fence agent \(config.agent) not found (looked in \(searchPath.joined(separator: ":")))")
        }
        var password: String?
        if let file = config.passwordFile {
            do { password = try SecretFile.read(file) } catch { throw FenceError("\(host): \(error.description)") }
        }
        var pairs: [(key: String, value: String)] = [("action", action.rawValue)]
        for parameter in config.parameters where parameter.key != "action" && parameter.key != "password" {
            pairs.append((parameter.key, parameter.value))
        }
        if let password { pairs.append(("password", password)) }
        guard let input = Subprocess.Command.keyValueLines(pairs) else {
            throw FenceError("\(host): a fence option holds a line break or '=' in its key")
        }
        let command = Subprocess.Command([program], environment: Self.environment,
                                         input: input, timeout: callTimeout, outputLimit: 64 << 10)
        let output: Subprocess.Output
        do {
            output = try await Subprocess.run(command)
        } catch {
            throw FenceError("\(host): \(Self.redact(error.description, password))")
        }
        let text = Self.redact(Self.summary(output.stdout + "\n" + output.stderr), password)
        return CallResult(exitStatus: output.status, output: text)
    }

    /// The agent's whole environment: a fixed system PATH (fence agents run ipmitool, ssh...), C locale,
    /// Python deprecation chatter off (fence_ipmilan 4.12 warns about `pipes` on every call), nothing
    /// inherited from the agent process.
    static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
                              "PYTHONWARNINGS": "ignore::DeprecationWarning"]

    var agentName: String { config.agent.split(separator: "/").last.map(String.init) ?? config.agent }

    func resolveAgent() -> String? {
        if config.agent.hasPrefix("/") { return access(config.agent, X_OK) == 0 ? config.agent : nil }
        guard !config.agent.contains("/") else { return nil }
        return searchPath.map { "\($0)/\(config.agent)" }.first { access($0, X_OK) == 0 }
    }

    /// The last few non-empty lines: what an operator needs, not a whole Python traceback.
    static func summary(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        return lines.suffix(4).joined(separator: " | ")
    }

    static func redact(_ text: String, _ secret: String?) -> String {
        guard let secret, !secret.isEmpty else { return text }
        return text.replacing(secret, with: "***")
    }
}

/// Why a fence agent could not be run or what it failed with; never holds a password.
public struct FenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
