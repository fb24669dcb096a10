import HACore
import Testing

/// `ManualClock.waitForSleepers`/`waitForDeadlines` give up within a stated real-time bound.
@Suite("ManualClock waits are time-bounded")
struct ManualClockWaitTests {
    @Test func aSleeperThatNeverComesFailsWithinTheBound() async {
        let clock = ManualClock()
        let start = ContinuousClock.now
        #expect(await clock.waitForSleepers(1, within: .milliseconds(200)) == false)
        #expect(await clock.waitForDeadlines([.zero + .seconds(1)], within: .milliseconds(200)) == false)
        #expect(ContinuousClock.now - start < .seconds(20), "gave up near its 200 ms bounds")
    }

    @Test func aSleeperThatComesIsSeen() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: .zero + .seconds(1)) }
        #expect(await clock.waitForSleepers(1, within: .seconds(10)))
        #expect(await clock.waitForDeadlines([.zero + .seconds(1)], within: .seconds(10)))
        clock.advance(by: .seconds(1))
        #expect((try? await sleeper.value) != nil)
    }
}
