import HACore
import Testing
@testable import GaleraProbe

/// Instants on a manual time line, in seconds.
private func t(_ seconds: Double) -> MonotonicInstant {
    MonotonicInstant(nanoseconds: Int64(seconds * 1_000_000_000))
}

private func up(_ name: String, _ since: Double) -> WriterChoice.Candidate { .passing(name, since: t(since)) }
private func down(_ name: String) -> WriterChoice.Candidate { .failing(name) }

@Suite("WriterChoice")
struct WriterChoiceTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var candidates: [WriterChoice.Candidate]
        var now: Double
        var writer: String?
        var testDescription: String { name }
    }

    /// Hold-down 30 s, tie margin 1 s; `now` is in seconds.
    static let table: [Row] = [
        Row(name: "all proven: the first in config order", candidates: [up("ctl1", 0), up("ctl2", 0), up("ctl3", 0)],
            now: 100, writer: "ctl1"),
        Row(name: "none passing: no writer", candidates: [down("ctl1"), down("ctl2"), down("ctl3")], now: 100, writer: nil),
        Row(name: "no candidates: no writer", candidates: [], now: 100, writer: nil),
        Row(name: "first failing: the next proven", candidates: [down("ctl1"), up("ctl2", 0), up("ctl3", 0)],
            now: 100, writer: "ctl2"),
        Row(name: "only the last passing", candidates: [down("ctl1"), down("ctl2"), up("ctl3", 99)], now: 100, writer: "ctl3"),
        Row(name: "preferred back for 10s: held down", candidates: [up("ctl1", 90), up("ctl2", 0), up("ctl3", 0)],
            now: 100, writer: "ctl2"),
        Row(name: "preferred back for 29.9s: held down", candidates: [up("ctl1", 70.1), up("ctl2", 0), up("ctl3", 0)],
            now: 100, writer: "ctl2"),
        Row(name: "preferred back for exactly 30s: takes over", candidates: [up("ctl1", 70), up("ctl2", 0), up("ctl3", 0)],
            now: 100, writer: "ctl1"),
        Row(name: "writer fails, next one just back: the proven one", candidates: [down("ctl1"), up("ctl2", 95), up("ctl3", 0)],
            now: 100, writer: "ctl3"),
        Row(name: "cold start, none proven: the longest passing", candidates: [up("ctl1", 92), up("ctl2", 90), up("ctl3", 91)],
            now: 100, writer: "ctl2"),
        Row(name: "cold start, only one up", candidates: [down("ctl1"), up("ctl2", 99.5), down("ctl3")], now: 100, writer: "ctl2"),
        Row(name: "near tie within the margin: config order", candidates: [up("ctl1", 90.5), up("ctl2", 90), up("ctl3", 91)],
            now: 100, writer: "ctl1"),
        Row(name: "just outside the margin: the longer one", candidates: [up("ctl1", 91.5), up("ctl2", 90), up("ctl3", 91)],
            now: 100, writer: "ctl2"),
        Row(name: "a later proven node beats an unproven earlier one",
            candidates: [up("ctl1", 95), down("ctl2"), up("ctl3", 50)], now: 100, writer: "ctl3"),
        Row(name: "since in the future counts as just now", candidates: [up("ctl1", 150), up("ctl2", 90)],
            now: 100, writer: "ctl2"),
    ]

    @Test("choice table (hold-down 30s)", arguments: table)
    func choose(_ row: Row) {
        #expect(WriterChoice.choose(row.candidates, holdDown: .seconds(30), now: t(row.now)) == row.writer)
    }

    @Test("the rule has no memory: the same inputs give the same writer whatever came before")
    func agreement() {
        var longRunning = WriterChoice()
        _ = longRunning.update([up("ctl1", 0), up("ctl2", 0)], now: t(100))
        _ = longRunning.update([down("ctl1"), up("ctl2", 0)], now: t(101))
        var restarted = WriterChoice()
        let inputs = [up("ctl1", 110), up("ctl2", 0)]
        for now in [115.0, 139.9, 140, 200] {
            _ = longRunning.update(inputs, now: t(now))
            _ = restarted.update(inputs, now: t(now))
            #expect(longRunning.writer == restarted.writer)
        }
        #expect(longRunning.writer == "ctl1")
    }

    struct Step: Sendable {
        var now: Double
        var candidates: [WriterChoice.Candidate]
        var writer: String?
        /// Whether this step reports a change.
        var changed: Bool
    }

    /// The writer over time as ctl1 fails, flaps back and finally stays (hold-down 30 s).
    static let failAndReturn: [Step] = [
        Step(now: 0, candidates: [up("ctl1", 0), up("ctl2", 0), up("ctl3", 0)], writer: "ctl1", changed: true),
        Step(now: 50, candidates: [up("ctl1", 0), up("ctl2", 0), up("ctl3", 0)], writer: "ctl1", changed: false),
        // The writer fails: moves at once.
        Step(now: 51, candidates: [down("ctl1"), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: true),
        // ctl1 comes back: held down.
        Step(now: 60, candidates: [up("ctl1", 60), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: false),
        Step(now: 80, candidates: [up("ctl1", 60), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: false),
        // It flaps: the hold-down starts again from its next return.
        Step(now: 85, candidates: [down("ctl1"), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: false),
        Step(now: 86, candidates: [up("ctl1", 86), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: false),
        Step(now: 115.9, candidates: [up("ctl1", 86), up("ctl2", 0), up("ctl3", 0)], writer: "ctl2", changed: false),
        // 30 s of continuous passing: back to the preferred node, once.
        Step(now: 116, candidates: [up("ctl1", 86), up("ctl2", 0), up("ctl3", 0)], writer: "ctl1", changed: true),
        Step(now: 200, candidates: [up("ctl1", 86), up("ctl2", 0), up("ctl3", 0)], writer: "ctl1", changed: false),
        // Everything fails: no writer; then ctl3 alone returns and writes at once.
        Step(now: 300, candidates: [down("ctl1"), down("ctl2"), down("ctl3")], writer: nil, changed: true),
        Step(now: 310, candidates: [down("ctl1"), down("ctl2"), up("ctl3", 310)], writer: "ctl3", changed: true),
        // ctl1 returns 5 s later: ctl3 has passed longer, so it keeps writing until ctl1 is proven.
        Step(now: 315, candidates: [up("ctl1", 315), down("ctl2"), up("ctl3", 310)], writer: "ctl3", changed: false),
        Step(now: 344.9, candidates: [up("ctl1", 315), down("ctl2"), up("ctl3", 310)], writer: "ctl3", changed: false),
        Step(now: 345, candidates: [up("ctl1", 315), down("ctl2"), up("ctl3", 310)], writer: "ctl1", changed: true),
    ]

    @Test("writer over time: failure moves at once, return waits for the hold-down")
    func sequence() {
        var choice = WriterChoice(holdDown: .seconds(30))
        var changes = 0
        for step in Self.failAndReturn {
            let change = choice.update(step.candidates, now: t(step.now))
            #expect(choice.writer == step.writer, "at \(step.now)s")
            #expect((change != nil) == step.changed, "at \(step.now)s")
            if let change {
                #expect(change.to == step.writer)
                #expect(change.at == t(step.now))
                #expect(choice.since == t(step.now))
                changes += 1
            }
        }
        #expect(changes == 6)
    }

    @Test("cold start with staggered nodes moves the writer once per node, each after its hold-down")
    func coldStart() {
        var choice = WriterChoice(holdDown: .seconds(30))
        var writers: [String?] = []
        // ctl3 up at 0, ctl2 at 5, ctl1 at 10; evaluate every second for a minute.
        var changedAt: [Double] = []
        for second in 0...60 {
            let now = Double(second)
            let candidates = [now >= 10 ? up("ctl1", 10) : down("ctl1"),
                              now >= 5 ? up("ctl2", 5) : down("ctl2"),
                              up("ctl3", 0)]
            if let change = choice.update(candidates, now: t(now)) {
                writers.append(change.to)
                changedAt.append(now)
            }
        }
        #expect(writers == ["ctl3", "ctl2", "ctl1"])
        #expect(changedAt == [0, 35, 40])
        #expect(choice.writer == "ctl1")
    }

    @Test("the hold-down is configurable")
    func holdDown() {
        let candidates = [up("ctl1", 95), up("ctl2", 0)]
        #expect(WriterChoice.choose(candidates, holdDown: .seconds(5), now: t(100)) == "ctl1")
        #expect(WriterChoice.choose(candidates, holdDown: .seconds(6), now: t(100)) == "ctl2")
        #expect(WriterChoice.choose(candidates, holdDown: .zero, now: t(95)) == "ctl1")
    }
}
