#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HACore
import Synchronization

/// A minimal HTTP/1.1 server on 127.0.0.1 with one thread per connection, for exercising
/// `HTTPClient` over real sockets. Keep-alive is supported; `stop()` ends every thread.
final class TestHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [HTTPHeader]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    enum Reply: Sendable {
        /// `sized: false` sends no Content-Length and closes the connection to end the body.
        case respond(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], sized: Bool = true)
        /// Read the request, never answer; the connection stays open until the client leaves.
        case hang
    }

    let port: Int
    /// Every request as it arrives, before it is answered.
    let requests: AsyncStream<Request>

    private let listenFD: Int32
    private let handler: @Sendable (Request) -> Reply
    private let requestSink: AsyncStream<Request>.Continuation
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var connections = 0
        var openFDs: Set<Int32> = []
    }

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        (requests, requestSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (listenFD, port) = try Self.listen()
        Thread { [self] in acceptLoop() }.start()
    }

    /// Connections accepted so far (keep-alive shows as fewer connections than requests).
    var connectionCount: Int { state.withLock { $0.connections } }

    func stop() {
        let fds: Set<Int32>? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.openFDs
        }
        guard let fds else { return }
        // shutdown() rather than close(): it wakes the threads blocked in accept/read on them,
        // and each thread closes its own descriptor, so no number is reused under it.
        Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        for fd in fds { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        requestSink.finish()
    }

    /// A port on 127.0.0.1 that nothing listens on.
    static func closedPort() throws -> Int {
        let (fd, port) = try listen()
        close(fd)
        return port
    }

    /// A listener whose accept queue is full and never drained, so the kernel drops further SYNs
    /// and a new connection hangs in the handshake: a connect timeout without leaving loopback.
    /// Returns the port and the descriptors to close when done.
    static func saturatedListener() throws -> (port: Int, fds: [Int32]) {
        let (listener, port) = try listen(backlog: 0)
        var fds = [listener]
        // Connect until one attempt stays in the handshake; with backlog 0 Linux queues one.
        for _ in 0..<4 {
            let fd = try nonBlockingConnect(port: port)
            fds.append(fd)
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 200) == 0 { return (port, fds) }
        }
        for fd in fds { close(fd) }
        throw SocketError(call: "saturate", errno: 0)
    }

    private static func nonBlockingConnect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else {
            close(fd)
            throw SocketError(call: "connect", errno: errno)
        }
        return fd
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    // MARK: - Socket plumbing

    struct SocketError: Error { let call: String; let errno: Int32 }

    private static func listen(backlog: Int32 = 128) throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            close(fd)
            throw SocketError(call: "bind/listen", errno: errno)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private func acceptLoop() {
        defer { close(listenFD) }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = state.withLock { state in
                guard !state.stopped else { return false }
                state.connections += 1
                state.openFDs.insert(fd)
                return true
            }
            guard admitted else {
                close(fd)
                return
            }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            state.withLock { _ = $0.openFDs.remove(fd) }
            close(fd)
        }
        var reader = Reader(fd: fd)
        while let request = reader.readRequest() {
            requestSink.yield(request)
            switch handler(request) {
            case .hang:
                // Wait for the client (or stop()) to close; a pipelined request is ignored.
                while reader.fill() {}
                return
            case .respond(let status, let headers, let body, let sized):
                guard write(fd, response(status: status, headers: headers, body: body, sized: sized)), sized
                else { return }
            }
        }
    }

    private func response(status: Int, headers: [HTTPHeader], body: [UInt8], sized: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Test\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += sized ? "Content-Length: \(body.count)\r\n" : "Connection: close\r\n"
        head += "\r\n"
        return Array(head.utf8) + body
    }

    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Buffered reading of HTTP/1.1 requests with Content-Length bodies.
    private struct Reader {
        let fd: Int32
        var buffer: [UInt8] = []

        /// Reads more bytes; false at end of stream or error.
        mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
        }

        mutating func readRequest() -> Request? {
            let terminator: [UInt8] = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            while true {
                if let end = buffer.firstRange(of: terminator)?.upperBound { headEnd = end; break }
                guard fill() else { return nil }
            }
            guard let headEnd else { return nil }
            let lines = String(decoding: buffer[..<(headEnd - 4)], as: UTF8.self)
                .components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count == 3 else { return nil }
            let headers = lines.dropFirst().compactMap { line -> HTTPHeader? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return HTTPHeader(name: String(line[..<colon]),
                                  value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
            while buffer.count < headEnd + length {
                guard fill() else { return nil }
            }
            let body = Array(buffer[headEnd..<(headEnd + length)])
            buffer.removeFirst(headEnd + length)
            return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
        }
    }
}
