import Foundation
@testable import HACLI
import HACore
import Testing

/// Issue 11 item 3 (the CLI side): numbers in an agent's answer are untrusted; rendering them never traps.
@Suite("hostile numbers in agent answers")
struct HostileAnswerTests {
    let ctl1 = Controller(name: "ctl1", address: IPAddress("198.18.0.11")!)

    @Test(arguments: ["1e300", "-1e300", "1.7976931348623157e308", "9223372036854775807", "-9223372036854775808", "0"])
    func hugeUptimeRendersWithoutATrap(uptime: String) throws {
        let json = #"{"node":"ctl1","cluster":"c","address":"x","version":"v","uptime_seconds":\#(uptime),"drained":false,"checks":[],"modules":[]}"#
        let status = try JSONDecoder().decode(NodeStatus.self, from: Data(json.utf8))
        let table = StatusReport(cluster: "c", answers: [(ctl1, .success(status))]).renderTable()
        #expect(table.contains("ctl1"))
    }

    @Test(arguments: [-1e300, 1e300, -Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude])
    func hugeTransitionTimeRendersWithoutATrap(at: Double) {
        let vip = VIPStatus(name: "public", vrid: 51, state: "master", priority: 100, basePriority: 100, master: "198.18.0.11",
                            pinned: false, priorityReasons: [], lastTransition: .init(from: "backup", to: "master", reason: "x", at: at),
                            advertsSent: 0, advertsReceived: 0, dropped: [:])
        let table = VIPReport(vipNames: ["public"], answers: [(ctl1, .success([vip]))]).renderTable(now: 1_795_000_000)
        #expect(table.contains("backup->master"))
    }

    @Test func untrustedSecondsAreClamped() {
        #expect(UntrustedNumber.seconds(65.9) == 65)
        #expect(UntrustedNumber.seconds(-5) == 0)
        #expect(UntrustedNumber.seconds(.nan) == 0)
        #expect(UntrustedNumber.seconds(.infinity) == UntrustedNumber.maxSeconds)
        #expect(UntrustedNumber.seconds(-.infinity) == 0)
        #expect(UntrustedNumber.seconds(1e300) == UntrustedNumber.maxSeconds)
    }
}
