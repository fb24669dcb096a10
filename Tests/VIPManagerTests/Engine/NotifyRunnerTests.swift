import Foundation
import HACore
import Logging
import Testing
@testable import VIPManager

@Suite("VIP notify command")
struct NotifyRunnerTests {
    func script(_ body: String) throws -> (path: String, out: String) { try NotifyScript.make(body) }

    @Test func runsWithKeepalivedStyleArgumentsWithoutBlocking() throws {
        let (path, out) = try script("echo \"$@\" > OUT")
        let start = ContinuousClock.now
        NotifyRunner.run(command: path, arguments: ["INSTANCE", "public", "MASTER", "150"], timeout: .seconds(5), logger: Logger(label: "t"))
        // Loose on purpose (spawning on a loaded box takes time); the hung-command test below shows
        // the caller never waits for a command's end.
        #expect(ContinuousClock.now - start < .seconds(2), "the caller (the VRRP thread) never waits")
        var text = ""
        for _ in 0..<200 where text.isEmpty {
            text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        #expect(text == "INSTANCE public MASTER 150\n")
    }

    @Test func aHungCommandIsKilledAfterItsTimeout() throws {
        let (path, out) = try script("echo $$ > OUT; exec sleep 30")
        NotifyRunner.run(command: path, arguments: [], timeout: .milliseconds(300), logger: Logger(label: "t"))
        var pid: pid_t = 0
        for _ in 0..<200 where pid == 0 {
            pid = pid_t(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            usleep(10_000)
        }
        #expect(pid > 0)
        var alive = true
        for _ in 0..<200 where alive {
            usleep(10_000)
            alive = kill(pid, 0) == 0
        }
        #expect(!alive, "killed after the timeout and reaped")
    }
}
