import HACore
import Synchronization
import Testing

/// The current worker and the abandoned ones: one current at a time, abandon counts it stuck until
/// it exits, the cap refuses new workers, retireCurrent retires without counting.
@Suite("WorkerSlot")
struct WorkerSlotTests {
    final class Worker: RetirableWorker {
        let generation: Int
        let exit: @Sendable () -> Void
        let retired = Mutex(false)
        init(_ generation: Int, _ exit: @escaping @Sendable () -> Void) { self.generation = generation; self.exit = exit }
        func retire() { retired.withLock { $0 = true } }
        var isRetired: Bool { retired.withLock { $0 } }
    }

    @Test func abandonCountsUntilExitAndTheCapHolds() {
        let slot = WorkerSlot<Worker>(maxStuck: 2)
        let first = slot.current { Worker($0, $1) }
        #expect(first.created && first.worker?.generation == 1)
        #expect(slot.current { Worker($0, $1) }.worker === first.worker, "one current worker")
        slot.abandon(first.worker!)
        #expect(first.worker!.isRetired)
        #expect(slot.stuck == 1)
        let second = slot.current { Worker($0, $1) }
        #expect(second.worker?.generation == 2)
        slot.abandon(second.worker!)
        #expect(slot.stuck == 2)
        #expect(slot.current { Worker($0, $1) }.worker == nil, "two stuck: no third thread")
        first.worker!.exit()
        #expect(slot.stuck == 1)
        let third = slot.current { Worker($0, $1) }
        #expect(third.worker?.generation == 3)
        slot.abandon(first.worker!)   // not the current one: ignored
        #expect(slot.stuck == 1)
        slot.retireCurrent()
        #expect(third.worker!.isRetired)
        #expect(slot.stuck == 1)
        #expect(slot.current { Worker($0, $1) }.worker?.generation == 4)
    }
}
