import NIOCore
import NIOPosix
import Synchronization

/// An IP address and UDP port: where a datagram came from or goes to.
public struct DatagramPeer: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:7410`, `[2001:db8::1]:7410`.
    public var description: String {
        if case .v6 = address { return "[\(address)]:\(port)" }
        return "\(address):\(port)"
    }

    init?(_ socketAddress: SocketAddress) {
        guard let text = socketAddress.ipAddress, let address = IPAddress(text), let port = socketAddress.port,
              let port16 = UInt16(exactly: port) else { return nil }
        self.init(address, port: port16)
    }

    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: "\(address)", port: Int(port))
    }
}

/// One received datagram and its source.
public struct Datagram: Sendable, Equatable {
    public var source: DatagramPeer
    public var payload: [UInt8]

    public init(source: DatagramPeer, payload: [UInt8]) {
        self.source = source
        self.payload = payload
    }
}

public enum DatagramError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A datagram to send was longer than the endpoint's `maxDatagramSize`.
    case tooLarge(size: Int, limit: Int)
    /// The endpoint was closed.
    case closed

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): "datagram of \(size) bytes exceeds the limit of \(limit)"
        case .closed: "the datagram endpoint is closed"
        }
    }
}

/// A UDP socket bound to one address and port (IPv4 or IPv6), on NIO's `DatagramChannel`: what
/// ComputeHA's signed heartbeats travel over.
///
/// Received datagrams arrive on ``datagrams`` (one consumer) with their source. Datagrams longer
/// than `maxDatagramSize` are dropped and counted (``oversizeDropped``); so are datagrams that
/// arrive while `queueLimit` of them wait unread (``overflowDropped``): a flood cannot grow memory.
/// ``close()`` closes the socket and finishes the sequence. Sendable; `send` from any task.
public final class DatagramEndpoint: Sendable {
    /// Where the socket is bound (the port the kernel chose when bound to port 0).
    public let local: DatagramPeer
    /// The datagrams received, in arrival order; finishes when the endpoint closes.
    public let datagrams: AsyncStream<Datagram>
    public let maxDatagramSize: Int

    private let channel: any Channel
    private let counters: Counters

    /// Datagrams dropped for being longer than `maxDatagramSize`.
    public var oversizeDropped: Int { counters.oversize.load(ordering: .relaxed) }
    /// Datagrams dropped because `queueLimit` datagrams were waiting unread.
    public var overflowDropped: Int { counters.overflow.load(ordering: .relaxed) }
    /// Datagrams delivered to ``datagrams``.
    public var received: Int { counters.received.load(ordering: .relaxed) }

    private init(channel: any Channel, local: DatagramPeer, datagrams: AsyncStream<Datagram>, maxDatagramSize: Int,
                 counters: Counters) {
        self.channel = channel
        self.local = local
        self.datagrams = datagrams
        self.maxDatagramSize = maxDatagramSize
        self.counters = counters
    }

    /// Binds a UDP socket to `address`:`port` (port 0: any free port, see ``local``).
    public static func bind(_ address: IPAddress, port: UInt16, maxDatagramSize: Int = 1472, queueLimit: Int = 1024,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DatagramEndpoint {
        precondition(maxDatagramSize > 0 && maxDatagramSize <= 65_507, "maxDatagramSize must be 1...65507")
        precondition(queueLimit > 0, "queueLimit must be positive")
        let counters = Counters()
        let (stream, continuation) = AsyncStream.makeStream(of: Datagram.self, bufferingPolicy: .bufferingOldest(queueLimit))
        // No SO_REUSEADDR: on Linux it would let a second UDP socket bind the same port and take
        // its datagrams. A UDP port has no TIME_WAIT, so a restarted agent rebinds at once anyway.
        let bootstrap = DatagramBootstrap(group: group)
            // One byte more than the limit: a longer datagram arrives truncated to limit + 1 and is
            // recognised (and dropped) as oversize.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxDatagramSize + 1))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Receiver(limit: maxDatagramSize, continuation: continuation, counters: counters))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(to: DatagramPeer(address, port: port).socketAddress()).get()
        } catch {
            continuation.finish()
            throw error
        }
        guard let bound = channel.localAddress.flatMap(DatagramPeer.init) else {
            try? await channel.close().get()
            continuation.finish()
            throw DatagramError.closed
        }
        return DatagramEndpoint(channel: channel, local: bound, datagrams: stream, maxDatagramSize: maxDatagramSize,
                                counters: counters)
    }

    /// Sends one datagram to `peer`; throws `DatagramError.tooLarge` past `maxDatagramSize`, or the
    /// socket's error (an unreachable network, a closed endpoint).
    public func send(_ payload: [UInt8], to peer: DatagramPeer) async throws {
        guard payload.count <= maxDatagramSize else {
            throw DatagramError.tooLarge(size: payload.count, limit: maxDatagramSize)
        }
        let envelope = AddressedEnvelope(remoteAddress: try peer.socketAddress(), data: ByteBuffer(bytes: payload))
        do {
            try await channel.writeAndFlush(envelope).get()
        } catch ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed {
            throw DatagramError.closed
        }
    }

    /// Closes the socket; ``datagrams`` finishes after the datagrams already queued. Idempotent.
    public func close() async {
        try? await channel.close().get()
    }

    final class Counters: Sendable {
        let oversize = Atomic<Int>(0)
        let overflow = Atomic<Int>(0)
        let received = Atomic<Int>(0)
    }

    /// On the channel's event loop: checks the size, hands the datagram to the stream.
    private final class Receiver: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        let limit: Int
        let continuation: AsyncStream<Datagram>.Continuation
        let counters: Counters

        init(limit: Int, continuation: AsyncStream<Datagram>.Continuation, counters: Counters) {
            self.limit = limit
            self.continuation = continuation
            self.counters = counters
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard envelope.data.readableBytes <= limit else {
                counters.oversize.add(1, ordering: .relaxed)
                return
            }
            guard let source = DatagramPeer(envelope.remoteAddress) else { return }
            let datagram = Datagram(source: source, payload: Array(envelope.data.readableBytesView))
            switch continuation.yield(datagram) {
            case .enqueued: counters.received.add(1, ordering: .relaxed)
            case .dropped: counters.overflow.add(1, ordering: .relaxed)
            case .terminated: break
            @unknown default: break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }

        /// A socket error on receive (an ICMP port unreachable reported on a later read, ...) is
        /// no reason to stop listening.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}
