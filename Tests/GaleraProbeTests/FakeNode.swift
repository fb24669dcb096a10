import HACore
import HATestSupport
@testable import GaleraProbe

/// A scripted Galera node for driving ``GaleraMonitor`` with a ``ManualClock``: HATestSupport's
/// ``ScriptedServer`` answering ``GaleraStatus`` reads, behind the probe's session protocol.
typealias FakeNode = ScriptedServer<GaleraStatus, GaleraError>

extension ScriptedServer where Answer == GaleraStatus, Failure == GaleraError {
    /// Status reads so far.
    var reads: Int { calls }

    var opener: GaleraWorker.Opener {
        { () throws(GaleraError) -> any GaleraSession in
            try self.opened()
            return FakeSession(node: self)
        }
    }
}

/// A session of a ``FakeNode``; closing it (releasing it) is counted.
private final class FakeSession: GaleraSession {
    let node: FakeNode
    init(node: FakeNode) { self.node = node }
    deinit { node.closed() }
    func readStatus() throws(GaleraError) -> GaleraStatus { try node.call() }
}
