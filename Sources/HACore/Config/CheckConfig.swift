/// A local check (from `checks:`) that VIPs can track.
public struct CheckConfig: Sendable, Equatable {
    public var name: String
    public var kind: CheckKind
    /// Time between probes. Default 2s.
    public var interval: Duration
    /// A probe that takes longer fails. At most `interval`. Default 1s.
    public var timeout: Duration
    /// Consecutive passes to turn healthy. Default 2.
    public var rise: Int
    /// Consecutive failures to turn failed. Default 3.
    public var fall: Int

    public init(
        name: String, kind: CheckKind, interval: Duration = .seconds(2), timeout: Duration = .seconds(1),
        rise: Int = 2, fall: Int = 3
    ) {
        self.name = name
        self.kind = kind
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
    }
}

/// What a check probes.
public enum CheckKind: Sendable, Equatable, Hashable {
    /// A TCP connect: `tcp: 127.0.0.1:3306` or `tcp: "[::1]:3306"`.
    case tcp(host: IPAddress, port: Int)
    /// An HTTP(S) GET that must answer `expectStatus` (`expect:`, default 200).
    case http(url: String, expectStatus: Int)
}
