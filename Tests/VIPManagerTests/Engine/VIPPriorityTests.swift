import HACore
import Testing
@testable import VIPManager

@Suite("VIP priority from tracking, drain and pins")
struct VIPPriorityTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var base: Int
        var track: [TrackEntry]
        var failing: Set<String>
        var drained = false
        var leaving = false
        var pinned = false
        var linkUp = true
        var expected: VIPPriority.Result
        var testDescription: String { name }
    }

    static let track = [TrackEntry(check: "galera", effect: .weight(-60)), TrackEntry(check: "haproxy", effect: .weight(-60)),
                        TrackEntry(check: "api", effect: .fault)]

    static let rows: [Row] = [
        Row(name: "all passing: base", base: 150, track: track, failing: [],
            expected: .init(priority: 150, fault: false, reasons: [])),
        Row(name: "one weighted failing", base: 150, track: track, failing: ["galera"],
            expected: .init(priority: 90, fault: false, reasons: ["galera failing: -60"])),
        Row(name: "two weighted failing, clamped at 1", base: 100, track: track, failing: ["galera", "haproxy"],
            expected: .init(priority: 1, fault: false, reasons: ["galera failing: -60", "haproxy failing: -60"])),
        Row(name: "positive weight clamped at 254", base: 250, track: [TrackEntry(check: "x", effect: .weight(10))], failing: ["x"],
            expected: .init(priority: 254, fault: false, reasons: ["x failing: +10"])),
        Row(name: "fault check failing", base: 150, track: track, failing: ["api"],
            expected: .init(priority: 150, fault: true, reasons: ["api failing: fault"])),
        Row(name: "unknown check counts as failing", base: 150, track: [TrackEntry(check: "missing", effect: .weight(-10))], failing: ["missing"],
            expected: .init(priority: 140, fault: false, reasons: ["missing failing: -10"])),
        Row(name: "drained sits at the bottom", base: 150, track: track, failing: [], drained: true,
            expected: .init(priority: 1, fault: false, reasons: ["drained"])),
        Row(name: "pinned goes to 254", base: 50, track: track, failing: [], pinned: true,
            expected: .init(priority: 254, fault: false, reasons: ["pinned by handover"])),
        Row(name: "pin does not hide a failing check", base: 50, track: track, failing: ["galera"], pinned: true,
            expected: .init(priority: 1, fault: false, reasons: ["galera failing: -60"])),
        Row(name: "stopping sits at the bottom too, with its own reason", base: 150, track: [], failing: [], leaving: true,
            expected: .init(priority: 1, fault: false, reasons: ["stopping"])),
        Row(name: "drain beats pin", base: 50, track: [], failing: [], drained: true, pinned: true,
            expected: .init(priority: 1, fault: false, reasons: ["drained"])),
        Row(name: "link down is a fault", base: 150, track: [], failing: [], linkUp: false,
            expected: .init(priority: 150, fault: true, reasons: ["link down"])),
        Row(name: "owner keeps 255", base: 255, track: track, failing: [],
            expected: .init(priority: 255, fault: false, reasons: [])),
        Row(name: "owner with a failing check leaves 255", base: 255, track: track, failing: ["galera"],
            expected: .init(priority: 195, fault: false, reasons: ["galera failing: -60"])),
    ]

    @Test(arguments: rows)
    func evaluate(row: Row) {
        let result = VIPPriority.evaluate(base: row.base, track: row.track,
                                          status: { row.failing.contains($0) || $0 == "missing" ? (row.failing.contains($0) ? .critical : nil) : .passing },
                                          drained: row.drained, leaving: row.leaving, pinned: row.pinned, linkUp: row.linkUp)
        #expect(result == row.expected)
    }
}
