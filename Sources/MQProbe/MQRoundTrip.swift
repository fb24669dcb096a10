/// A successful publish/consume round trip.
public struct MQRoundTrip: Sendable, Equatable {
    /// Publish to delivery.
    public var roundTrip: Duration
    /// Publish to `basic.ack`.
    public var confirm: Duration
    /// CPU time (user + system) the worker thread spent on this probe, connecting included.
    public var cpuTime: Duration?

    public init(roundTrip: Duration, confirm: Duration, cpuTime: Duration? = nil) {
        self.roundTrip = roundTrip
        self.confirm = confirm
        self.cpuTime = cpuTime
    }
}

extension Duration {
    /// Fractional milliseconds, for JSON.
    var fractionalMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
