import Foundation
import HACore
import Testing

@Suite("Wall clock")
struct WallClockTests {
    @Test func describesItselfInUTC() {
        #expect("\(WallTime(secondsSinceEpoch: 1_767_225_600))" == "2026-01-01T00:00:00.000Z")
        #expect("\(WallTime(nanosecondsSinceEpoch: 1_795_000_000_123_000_000))" == "2026-11-18T11:06:40.123Z")
        #expect("\(WallTime(nanosecondsSinceEpoch: -1_500_000_000))" == "1969-12-31T23:59:58.500Z")
        #expect("\(WallTime.epoch)" == "1970-01-01T00:00:00.000Z")
    }

    @Test func secondsRoundDownAlsoBeforeTheEpoch() {
        #expect(WallTime(nanosecondsSinceEpoch: 1_999_999_999).secondsSinceEpoch == 1)
        #expect(WallTime(nanosecondsSinceEpoch: -1).secondsSinceEpoch == -1)
        #expect(WallTime(secondsSinceEpoch: 42).timeIntervalSince1970 == 42)
    }

    @Test func arithmeticAndOrder() {
        let start = WallTime(secondsSinceEpoch: 1_000)
        let later = start + .milliseconds(1_500)
        #expect(later.nanosecondsSinceEpoch == 1_001_500_000_000)
        #expect(later - start == .milliseconds(1_500))
        #expect(start - later == .milliseconds(-1_500))
        #expect(later - .milliseconds(1_500) == start)
        #expect(start < later)
        // Saturates instead of trapping.
        #expect(WallTime(nanosecondsSinceEpoch: .max - 1) + .seconds(10) == WallTime(nanosecondsSinceEpoch: .max))
        #expect(WallTime(secondsSinceEpoch: .max).nanosecondsSinceEpoch == .max)
        #expect(WallTime(nanosecondsSinceEpoch: .min) - WallTime(nanosecondsSinceEpoch: .max) == .nanoseconds(Int64.min))
    }

    @Test func convertsToAndFromDate() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.25)
        let time = WallTime(date)
        #expect(time.nanosecondsSinceEpoch == 1_795_000_000_250_000_000)
        #expect(time.date == date)
    }

    @Test func manualClockMovesBothWays() {
        let clock = ManualWallClock()
        #expect(clock.now == WallTime(secondsSinceEpoch: 1_767_225_600))
        clock.advance(by: .seconds(90))
        #expect(clock.now.secondsSinceEpoch == 1_767_225_690)
        clock.advance(by: .seconds(-30))   // a wall clock may jump back
        #expect(clock.now.secondsSinceEpoch == 1_767_225_660)
        clock.set(to: .epoch)
        #expect(clock.now == .epoch)
    }

    /// The system wall clock agrees with Foundation's `Date()` (generous bound: it only has to be the
    /// same clock, not a precise one).
    @Test func systemClockIsTheRealtimeClock() {
        let clock: any WallClock = SystemWallClock()
        let before = Date().timeIntervalSince1970
        let now = clock.now.timeIntervalSince1970
        let after = Date().timeIntervalSince1970
        #expect(now >= before - 1 && now <= after + 1)
    }
}
