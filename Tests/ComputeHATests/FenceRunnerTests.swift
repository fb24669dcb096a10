import Foundation
import HACore
import Testing
@testable import ComputeHA
#if canImport(Glibc)
import Glibc
#endif

/// The fence runner against small fence-agent stand-ins (shell scripts that speak the stdin
/// `key=value` protocol and keep a power state in a file). The real fence_ipmilan against ipmi_sim
/// runs in the compute lab.
@Suite("Fence runner")
struct FenceRunnerTests {
    static let password = "bmc-S3cret-\(UInt32.random(in: 0...UInt32.max))"

    /// A directory with a password file, a power state and an agent script.
    struct Bench {
        let dir: String
        var passwordFile: String { dir + "/bmc.pass" }
        var power: String { dir + "/power" }
        var stdinLog: String { dir + "/stdin" }
        var argvLog: String { dir + "/argv" }

        init(agent body: String, power: String = "on") throws {
            dir = NSTemporaryDirectory() + "hactl-fence-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try (FenceRunnerTests.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
            chmod(passwordFile, 0o600)
            try power.write(toFile: self.power, atomically: true, encoding: .utf8)
            let script = """
                #!/bin/bash
                # A fence agent stand-in: options on stdin, power in a file.
                echo "$0 $*" > '\(argvLog)'
                while IFS='=' read -r key value; do
                    printf '%s=%s\\n' "$key" "$value" >> '\(stdinLog)'
                    [[ $key == action ]] && action=$value
                    [[ $key == password ]] && password=$value
                done
                state=$(cat '\(self.power)')
                \(body)
                """
            try Self.writeExecutable(script, to: dir + "/fence_test")
        }

        func runner(parameters: [KeyValue] = [KeyValue(key: "ip", value: "198.18.2.21"), KeyValue(key: "lanplus", value: "1")],
                    timeout: Duration = .seconds(10)) -> FenceRunner {
            FenceRunner(host: "compute1", config: FenceConfig(agent: "fence_test", passwordFile: passwordFile, parameters: parameters),
                        callTimeout: timeout, statusChecks: 2, searchPath: [dir])
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }

        /// Written through a close-on-exec descriptor: Foundation's writers leave theirs inheritable,
        /// and a child forked meanwhile by a parallel test would hold the file open for writing, so
        /// exec'ing the script fails with ETXTBSY ("Text file busy").
        static func writeExecutable(_ text: String, to path: String) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else { throw POSIXError(.EIO) }
        }
    }

    /// An agent that does what it is told.
    static let obedient = """
        case $action in
            off) echo off > "$(dirname "$0")/power"; echo "Success: Powered OFF" ;;
            on) echo on > "$(dirname "$0")/power"; echo "Success: Powered ON" ;;
            status) if [[ $state == off ]]; then echo "Status: OFF"; exit 2; else echo "Status: ON"; exit 0; fi ;;
        esac
        """

    @Test("off, then status reads OFF: confirmed; the options and the password went on stdin only")
    func confirmsOff() async throws {
        let bench = try Bench(agent: Self.obedient)
        defer { bench.remove() }
        #expect(await bench.runner().fence() == .confirmedOff)
        let stdin = try String(contentsOfFile: bench.stdinLog, encoding: .utf8)
        #expect(stdin == "action=off\nip=198.18.2.21\nlanplus=1\npassword=\(Self.password)\n"
                + "action=status\nip=198.18.2.21\nlanplus=1\npassword=\(Self.password)\n")
        let argv = try String(contentsOfFile: bench.argvLog, encoding: .utf8)
        #expect(argv == bench.dir + "/fence_test \n", "no argument at all")
        #expect(await bench.runner().power() == .off)
    }

    @Test("an agent that fails and echoes the password: failed, with the password replaced")
    func failsRedacted() async throws {
        let bench = try Bench(agent: #"echo "Failed: Unable to connect to 198.18.2.21 with password $password" >&2; exit 1"#)
        defer { bench.remove() }
        let outcome = await bench.runner().fence()
        guard case .failed(let text) = outcome else { Issue.record("\(outcome)"); return }
        #expect(text.contains("fence_test off exited 1"))
        #expect(text.contains("with password ***"))
        #expect(!text.contains(Self.password))
    }

    @Test("off accepted but the host still reads ON: not confirmed")
    func stillOn() async throws {
        let bench = try Bench(agent: """
            case $action in off) echo "Success: Powered OFF" ;; status) echo "Status: ON" ;; esac
            """)
        defer { bench.remove() }
        #expect(await bench.runner().fence() == .notConfirmed("fence_test status: ON after off"))
    }

    @Test("a hung agent is killed at the call timeout with everything it started")
    func hung() async throws {
        let bench = try Bench(agent: "sleep 30 & sleep 30")
        defer { bench.remove() }
        let started = ContinuousClock.now
        let outcome = await bench.runner(timeout: .milliseconds(300)).fence()
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .failed(let text) = outcome else { Issue.record("\(outcome)"); return }
        #expect(text.contains("did not finish within"), "\(text)")
    }

    @Test("a missing agent, an unreadable or too open password file, an option with a line break: a clear failure, nothing run")
    func badSetups() async throws {
        let bench = try Bench(agent: Self.obedient)
        defer { bench.remove() }
        let missing = FenceRunner(host: "compute1", config: FenceConfig(agent: "fence_nothere"), searchPath: [bench.dir])
        #expect(await missing.fence() == .failed("fence agent fence_nothere not found (looked in \(bench.dir))"))
        let relative = FenceRunner(host: "compute1", config: FenceConfig(agent: "bin/fence_test"), searchPath: [bench.dir])
        guard case .failed = await relative.fence() else { Issue.record("a relative path with a slash is refused"); return }

        chmod(bench.passwordFile, 0o644)
        let open = await bench.runner().fence()
        guard case .failed(let text) = open else { Issue.record("\(open)"); return }
        #expect(text.contains("compute1: secret file") || text.contains(bench.passwordFile), "\(text)")
        #expect(!text.contains(Self.password))
        chmod(bench.passwordFile, 0o600)

        let injected = await bench.runner(parameters: [KeyValue(key: "ip", value: "198.18.2.21\naction=on")]).fence()
        #expect(injected == .failed("compute1: a fence option holds a line break or '=' in its key"))
        #expect(!FileManager.default.fileExists(atPath: bench.stdinLog), "the agent never ran")
        #expect(try String(contentsOfFile: bench.power, encoding: .utf8) == "on")
    }

    @Test("status output: the text decides, else the exit status (0 on, 2 off)", arguments: [
        (FenceRunner.CallResult(exitStatus: 0, output: "Status: OFF"), FenceRunner.Power.off),
        (FenceRunner.CallResult(exitStatus: 2, output: ""), .off),
        (FenceRunner.CallResult(exitStatus: 0, output: "Status: ON"), .on),
        (FenceRunner.CallResult(exitStatus: 0, output: ""), .on),
        (FenceRunner.CallResult(exitStatus: 1, output: "Failed: Unable to obtain correct plug status"),
         .unknown("fence_x status exited 1: Failed: Unable to obtain correct plug status")),
    ])
    func parsesStatus(result: FenceRunner.CallResult, power: FenceRunner.Power) {
        #expect(FenceRunner.parsePower(result, agent: "fence_x") == power)
    }
}
