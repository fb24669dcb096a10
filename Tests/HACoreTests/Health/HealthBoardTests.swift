import HACore
import Testing

@Suite struct HealthBoardTests {
    let at = HealthTesting.at

    @Test func registeredEntryIsCriticalUntilItsFirstResultAndNeverStale() {
        let board = HealthBoard()
        board.register(name: "haproxy", interval: .seconds(1), at: at(5))
        for now in [at(5), at(100)] {
            let entry = board.read("haproxy", now: now)
            #expect(entry?.status == .critical)
            #expect(entry?.reason == "no result yet")
            #expect(entry?.stale == false)
            #expect(entry?.since == at(5))
        }
        #expect(board.read("unknown", now: at(5)) == nil)
    }

    @Test func freshReadsReturnTheStoredStatus() {
        let board = HealthBoard()
        board.publish(name: "galera", status: .passing, last: .passing(at: at(10)), interval: .seconds(1))
        for now in [at(10), at(12), at(13)] {  // exactly 3 intervals is still fresh: the rule is "older than"
            let entry = board.read("galera", now: now)
            #expect(entry?.status == .passing)
            #expect(entry?.reason == "")
            #expect(entry?.stale == false)
        }
    }

    @Test func olderThanThreeIntervalsReadsCriticalProbeStale() {
        let board = HealthBoard()
        let last = CheckResult.passing(at: at(10))
        board.publish(name: "galera", status: .passing, last: last, interval: .seconds(1))
        let now = at(13) + .nanoseconds(1)
        let entry = board.read("galera", now: now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "probe stale")
        #expect(entry?.stale == true)
        #expect(entry?.last == last)  // the raw result is kept as published
        #expect(entry?.since == at(13))
        // A new result makes it fresh again.
        board.publish(name: "galera", status: .passing, last: .passing(at: at(14)), interval: .seconds(1))
        #expect(board.read("galera", now: at(14))?.status == .passing)
    }

    @Test func staleCriticalKeepsItsSinceButSaysStale() {
        let board = HealthBoard()
        board.publish(name: "mq", status: .critical, last: .critical("refused", at: at(1)), interval: .seconds(2))
        #expect(board.read("mq", now: at(7))?.reason == "refused")
        let entry = board.read("mq", now: at(7.5))
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "probe stale")
        #expect(entry?.since == at(1))
    }

    @Test func sinceMarksTheLastStatusChange() {
        let board = HealthBoard()
        board.register(name: "c", interval: .seconds(1), at: at(0))
        board.publish(name: "c", status: .critical, last: .critical("down", at: at(1)), interval: .seconds(1))
        #expect(board.read("c", now: at(1))?.since == at(0))
        board.publish(name: "c", status: .passing, last: .passing(at: at(2)), interval: .seconds(1))
        board.publish(name: "c", status: .passing, last: .passing(at: at(3)), interval: .seconds(1))
        #expect(board.read("c", now: at(3))?.since == at(2))
        board.publish(name: "c", status: .warning, last: .warning("slow", at: at(4)), interval: .seconds(1))
        let entry = board.read("c", now: at(4))
        #expect(entry?.since == at(4))
        #expect(entry?.status == .warning)
        #expect(entry?.reason == "slow")
    }

    @Test func reasonOfADebouncedFailureSurvivesRisingResults() {
        let board = HealthBoard()
        board.publish(name: "c", status: .critical, last: .critical("refused", at: at(1)), interval: .seconds(1))
        // Debounced still critical while the raw result already passes: the failure's reason stays.
        board.publish(name: "c", status: .critical, last: .passing(at: at(2)), interval: .seconds(1))
        let entry = board.read("c", now: at(2))
        #expect(entry?.reason == "refused")
        #expect(entry?.last.status == .passing)
        board.publish(name: "c", status: .critical, reason: "explicit\nreason", last: .passing(at: at(3)),
                      interval: .seconds(1))
        #expect(board.read("c", now: at(3))?.reason == "explicit reason")
    }

    @Test func allIsSortedAndAppliesTheStaleRule() {
        let board = HealthBoard()
        board.publish(name: "zeta", status: .passing, last: .passing(at: at(0)), interval: .seconds(1))
        board.publish(name: "alpha", status: .passing, last: .passing(at: at(9)), interval: .seconds(1))
        board.register(name: "mid", interval: .seconds(1))
        let entries = board.all(now: at(10))
        #expect(entries.map(\.name) == ["alpha", "mid", "zeta"])
        #expect(entries.map(\.status) == [.passing, .critical, .critical])
        #expect(entries.map(\.reason) == ["", "no result yet", "probe stale"])
    }

    @Test func removeForgetsTheEntry() {
        let board = HealthBoard()
        board.publish(name: "x", status: .passing, last: .passing(at: at(0)), interval: .seconds(1))
        board.remove(name: "x")
        #expect(board.read("x", now: at(0)) == nil)
        #expect(board.all(now: at(0)).isEmpty)
    }

    @Test func changesReportsStatusChangesOnly() async {
        let board = HealthBoard()
        let changes = board.changes()
        board.publish(name: "a", status: .passing, last: .passing(at: at(0)), interval: .seconds(1))
        board.publish(name: "a", status: .passing, last: .passing(at: at(1)), interval: .seconds(1))  // no change
        board.publish(name: "b", status: .critical, last: .critical("x", at: at(1)), interval: .seconds(1))
        board.publish(name: "b", status: .critical, last: .critical("y", at: at(2)), interval: .seconds(1))  // no change
        board.publish(name: "a", status: .critical, last: .critical("z", at: at(2)), interval: .seconds(1))
        board.remove(name: "b")
        var iterator = changes.makeAsyncIterator()
        var names: [String] = []
        for _ in 0..<4 { names.append(await iterator.next() ?? "<end>") }
        #expect(names == ["a", "b", "a", "b"])
    }

    @Test func everySubscriberGetsEveryChange() async {
        let board = HealthBoard()
        let first = board.changes(), second = board.changes()
        board.publish(name: "vip-track", status: .passing, last: .passing(at: at(0)), interval: .seconds(1))
        var i1 = first.makeAsyncIterator(), i2 = second.makeAsyncIterator()
        #expect(await i1.next() == "vip-track")
        #expect(await i2.next() == "vip-track")
    }
}
