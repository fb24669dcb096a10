import HACore
import Testing

@Suite struct ManualClockTests {
    let at = HealthTesting.at

    @Test func startsWhereToldAndAdvances() {
        let clock = ManualClock(now: at(5))
        #expect(clock.now == at(5))
        clock.advance(by: .milliseconds(250))
        #expect(clock.now == at(5.25))
        clock.advance(to: at(7))
        #expect(clock.now == at(7))
        #expect(ManualClock().now == .zero)
    }

    @Test func deadlineAlreadyPassedReturnsAtOnce() async throws {
        let clock = ManualClock(now: at(3))
        try await clock.sleep(until: at(2))
        try await clock.sleep(until: at(3))
        #expect(clock.sleepers == 0)
    }

    @Test func sleepersResumeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let woke = HealthTesting.Recorder<(Int, MonotonicInstant)>()
        let tasks = [3, 1, 2].map { second in
            Task {
                try await clock.sleep(until: at(Double(second)))
                woke.append((second, clock.now))
            }
        }
        #expect(await clock.waitForSleepers(3))
        #expect(clock.deadlines == [at(1), at(2), at(3)])

        clock.advance(by: .milliseconds(999))
        #expect(clock.sleepers == 3)  // nothing is due a nanosecond early
        clock.advance(to: at(1))
        #expect(await HealthTesting.eventually { woke.count == 1 })
        #expect(woke.all.map(\.0) == [1])
        #expect(clock.deadlines == [at(2), at(3)])

        clock.advance(to: at(2.5))
        #expect(await HealthTesting.eventually { woke.count == 2 })
        #expect(woke.all.map(\.0) == [1, 2])
        #expect(woke.all[1].1 == at(2.5))  // a sleeper wakes to the new time, not its deadline

        clock.advance(to: at(3))
        #expect(await HealthTesting.eventually { woke.count == 3 })
        #expect(woke.all.map(\.0) == [1, 2, 3])
        for task in tasks { try await task.value }
        #expect(clock.sleepers == 0)
    }

    @Test func oneAdvanceWakesEveryDueSleeperAndNoOther() async throws {
        let clock = ManualClock()
        let woke = HealthTesting.Recorder<Int>()
        for second in [1, 2, 5] {
            Task { try await clock.sleep(until: at(Double(second))); woke.append(second) }
        }
        #expect(await clock.waitForSleepers(3))
        clock.advance(by: .seconds(4))
        #expect(await HealthTesting.eventually { woke.count == 2 })
        #expect(Set(woke.all) == [1, 2])
        #expect(clock.deadlines == [at(5)])
        clock.advance(by: .seconds(1))
        #expect(await HealthTesting.eventually { woke.count == 3 })
    }

    @Test func cancellingASleeperThrowsAndRemovesIt() async {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(until: at(10)) }
        #expect(await clock.waitForSleepers(1))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleepers == 0)
        clock.advance(by: .seconds(20))  // nothing left to resume (a double resume would trap)
    }

    @Test func alreadyCancelledTaskDoesNotSleep() async {
        let clock = ManualClock()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(until: at(10))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleepers == 0)
    }

    @Test func waitForSleepersIsBounded() async {
        let clock = ManualClock()
        #expect(await clock.waitForSleepers(1, maxYields: 10) == false)
    }

    @Test func worksAsAnyHAClock() async throws {
        let manual = ManualClock()
        let clock: any HAClock = manual
        let task = Task { try await clock.sleep(for: .seconds(2)) }
        #expect(await manual.waitForSleepers(1))
        #expect(manual.deadlines == [at(2)])
        manual.advance(by: .seconds(2))
        try await task.value
    }
}

@Suite struct SystemClockTests {
    @Test func isMonotonic() {
        let clock = SystemClock()
        let a = clock.now, b = clock.now
        #expect(a <= b)
        #expect(a.nanoseconds > 0)
    }

    @Test func pastDeadlineReturnsAndCancellationInterruptsASleep() async throws {
        let clock = SystemClock()
        try await clock.sleep(until: clock.now - .seconds(1))
        // A one-hour sleep that is cancelled at once: nothing actually waits.
        let task = Task { try await clock.sleep(until: clock.now + .seconds(3600)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
