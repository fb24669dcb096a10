@testable import HACore
import Testing

@Suite struct CheckScheduleTests {
    typealias SplitMix64 = HealthTesting.SplitMix64

    @Test func nextRunStaysWithinJitterAndUsesIt() {
        let schedule = CheckSchedule(interval: .seconds(1), timeout: .milliseconds(500), jitter: 0.1)
        var random = SplitMix64(seed: 42)
        let start = HealthTesting.at(100)
        let offsets = (0..<10_000).map { _ in
            schedule.nextRun(after: start, random: &random) - start
        }
        let low = Duration.milliseconds(900), high = Duration.milliseconds(1100)
        #expect(offsets.allSatisfy { $0 >= low && $0 <= high })
        // The whole band is used, not just one side of it.
        #expect(offsets.min()! < .milliseconds(905))
        #expect(offsets.max()! > .milliseconds(1095))
        let meanMs = offsets.map { Double($0.monotonicNanoseconds) / 1e6 }.reduce(0, +) / Double(offsets.count)
        #expect(abs(meanMs - 1000) < 5)
    }

    @Test func sameSeedSameSchedule() {
        let schedule = CheckSchedule(interval: .seconds(2), timeout: .seconds(1), jitter: 0.25)
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7), c = SplitMix64(seed: 8)
        let runsA = (0..<50).map { _ in schedule.nextRun(after: .zero, random: &a) }
        let runsB = (0..<50).map { _ in schedule.nextRun(after: .zero, random: &b) }
        let runsC = (0..<50).map { _ in schedule.nextRun(after: .zero, random: &c) }
        #expect(runsA == runsB)
        #expect(runsA != runsC)
    }

    @Test func noJitterIsExact() {
        let schedule = CheckSchedule(interval: .milliseconds(1500), timeout: .seconds(1), jitter: 0)
        var random = SplitMix64(seed: 1)
        #expect(schedule.nextRun(after: HealthTesting.at(3), random: &random) == HealthTesting.at(4.5))
        #expect(schedule.firstRun(at: HealthTesting.at(3), random: &random) == HealthTesting.at(3))
    }

    @Test func firstRunIsSpreadOverTheJitterWindow() {
        let schedule = CheckSchedule(interval: .seconds(1), timeout: .seconds(1), jitter: 0.2)
        var random = SplitMix64(seed: 99)
        let now = HealthTesting.at(10)
        let firsts = (0..<1000).map { _ in schedule.firstRun(at: now, random: &random) - now }
        #expect(firsts.allSatisfy { $0 >= .zero && $0 <= .milliseconds(200) })
        #expect(firsts.max()! > .milliseconds(190))
    }

    @Test func deadlineIsStartPlusTimeout() {
        let schedule = CheckSchedule(interval: .seconds(1), timeout: .milliseconds(2500))
        #expect(schedule.deadline(for: HealthTesting.at(1)) == HealthTesting.at(3.5))
    }

    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"), (.seconds(1), "1s"), (.milliseconds(1500), "1.5s"),
        (.seconds(120), "2m"), (.microseconds(250), "0.25ms"), (.seconds(90), "90s"), (.zero, "0s"),
    ])
    func durationsReadLikeTheConfig(_ duration: Duration, _ text: String) {
        #expect(CheckSchedule.describe(duration) == text)
    }
}
