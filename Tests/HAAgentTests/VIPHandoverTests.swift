@testable import HAAgent
import HACore
import Synchronization
import Testing

/// The pure parts of the loss-free handover at stop/drain: whom to ask first, and how long to wait
/// for a successor.
@Suite("VIP handover: order and timeouts")
struct VIPHandoverTests {
    static let controllers = ["ctl1", "ctl2", "ctl3", "ctl4"].enumerated().map {
        Controller(name: $0.element, address: .v4(0xC612_0001 + UInt32($0.offset)))
    }

    @Test("peers are asked in descending configured priority, config order among equals, never ourselves")
    func peerOrder() throws {
        let vip = VIPConfig(name: "public", vrid: 51, interface: "eth0", addresses: [try #require(IPNetwork("198.18.0.100/24"))],
                            priorities: ["ctl1": 150, "ctl2": 100, "ctl3": 120, "ctl4": 100])
        let order = VIPHandover.peerOrder(vip, controllers: Self.controllers, node: "ctl1").map(\.name)
        #expect(order == ["ctl3", "ctl2", "ctl4"])
        #expect(VIPHandover.peerOrder(vip, controllers: Self.controllers, node: "ctl3").map(\.name) == ["ctl1", "ctl2", "ctl4"])
    }

    @Test("the release wait covers a keepalived backup's Master_Down timer, at least 2 s")
    func releaseTimeout() {
        #expect(VIPHandover.releaseTimeout(advertInterval: .milliseconds(100)) == .seconds(2))
        #expect(VIPHandover.releaseTimeout(advertInterval: .seconds(1)) == .milliseconds(4500))
    }
}

/// `waitUntilReleased` on a `ManualClock`: the test advances time 10 ms at a time whenever the wait
/// sleeps; nothing sleeps for real.
@Suite("VIP handover: waiting for the release, on virtual time")
struct VIPHandoverWaitTests {
    static let t0 = MonotonicInstant(nanoseconds: 1_000_000_000_000)

    /// Runs the wait with `holds` until it returns; returns its result and the virtual time it took.
    static func wait(holds: @escaping @Sendable (MonotonicInstant) -> Bool) async -> (released: Bool, took: Duration)? {
        let clock = ManualClock(now: t0)
        let done = Mutex(false)
        let task = Task {
            let released = await VIPHandover.waitUntilReleased(holds: { holds(clock.now) }, advertInterval: .milliseconds(100),
                                                               clock: clock)
            done.withLock { $0 = true }
            return released
        }
        // At most 3 s of virtual time in 10 ms steps; each step waits for the wait to sleep or return
        // (bounded by 5 s of real time, so a wait that does neither fails instead of hanging).
        for _ in 0..<300 {
            let limit = ContinuousClock.now + .seconds(5)
            while !done.withLock({ $0 }) && clock.sleepers == 0 && ContinuousClock.now < limit { await Task.yield() }
            if done.withLock({ $0 }) { break }
            guard clock.sleepers > 0 else {
                Issue.record("the wait neither slept nor returned")
                task.cancel()
                return nil
            }
            clock.advance(by: .milliseconds(10))
        }
        let released = await task.value
        return (released, clock.now - t0)
    }

    @Test("released after 500 ms: true, once the engine's release grace has run out")
    func released() async throws {
        let result = try #require(await Self.wait { $0 < Self.t0 + .milliseconds(500) })
        #expect(result.released)
        // Seen at the 500 ms poll, then the grace (100 ms) and 20 ms margin, on the 10 ms steps.
        #expect(result.took == .milliseconds(620))
    }

    @Test("never released: false after the release timeout (2 s for a 100 ms advert interval)")
    func notReleased() async throws {
        let result = try #require(await Self.wait { _ in true })
        #expect(!result.released)
        #expect(result.took == .seconds(2))
    }
}
