import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Passes when a TCP connection to `host:port` is accepted within `timeout`; the connection is then
/// closed at once (nothing is sent).
///
/// The connect is non-blocking on SwiftNIO's shared event loop group, so no cooperative thread waits on
/// it. `timeout` bounds the connect (NIO's connect timeout, wall clock); cancelling the calling task
/// closes the half-open socket and returns critical "cancelled" at once. `host` is a numeric IPv4 or
/// IPv6 address (no name resolution: a check must not depend on DNS). Critical reasons look like
/// `connect 127.0.0.1:3306: Connection refused`, `connect [::1]:3306: timeout after 500ms`.
public struct TCPCheck: HealthCheck {
    public let name: String
    public let host: String
    public let port: Int
    public let timeout: Duration

    public init(name: String, host: String, port: Int, timeout: Duration) {
        self.name = name
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// `127.0.0.1:3306` or `[::1]:3306`.
    public var target: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public func run(at start: MonotonicInstant) async -> CheckResult {
        let address: SocketAddress
        do {
            guard (0...65535).contains(port) else { return .critical("connect \(target): invalid port", at: start) }
            address = try SocketAddress(ipAddress: host, port: port)
        } catch {
            return .critical("connect \(target): not a numeric IP address", at: start)
        }
        do {
            try await connectAndClose(to: address)
            return .passing(at: start)
        } catch {
            return .critical("connect \(target): \(describe(error))", at: start)
        }
    }

    private func connectAndClose(to address: SocketAddress) async throws {
        let pending = PendingChannel()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                // Runs before the connect starts: from here on a cancellation can close the socket.
                pending.attach(channel)
            }
        try await withTaskCancellationHandler {
            try Task.checkCancellation()
            let channel = try await bootstrap.connect(to: address).get()
            try? await channel.close().get()
            try Task.checkCancellation()
        } onCancel: {
            pending.cancel()
        }
    }

    private func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case ChannelError.connectTimeout:
            return "timeout after \(CheckSchedule.describe(timeout))"
        case is CancellationError, ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed:
            return "cancelled"
        default:
            return CheckResult.oneLine("\(error)")
        }
    }
}

/// Hands the channel being connected to a cancellation handler that may run on any thread.
private final class PendingChannel: Sendable {
    private enum State {
        case idle
        case connecting(any Channel)
        case cancelled
    }

    private let state = Mutex(State.idle)

    func attach(_ channel: any Channel) -> EventLoopFuture<Void> {
        let cancelled: Bool = state.withLock { state in
            if case .cancelled = state { return true }
            state = .connecting(channel)
            return false
        }
        return cancelled ? channel.eventLoop.makeFailedFuture(CancellationError())
            : channel.eventLoop.makeSucceededVoidFuture()
    }

    func cancel() {
        let channel: (any Channel)? = state.withLock { state in
            defer { state = .cancelled }
            if case .connecting(let channel) = state { return channel }
            return nil
        }
        channel?.close(promise: nil)
    }
}
