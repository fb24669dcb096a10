import Foundation
@testable import HAAgent
import HACore
import Synchronization
import Testing

/// Issue 11: local checks, peer calls and the handover have separate HTTP clients, so peers that
/// never answer cannot starve a local HTTP check.
@Suite("HTTP client isolation")
struct HTTPIsolationTests {
    @Test func aLocalCheckCompletesWhilePeerAndHandoverCallsHang() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let dead = try LoopbackServer(answer: false)
        let healthy = try LoopbackServer(answer: true)
        defer { dead.stop(); healthy.stop() }

        // More hanging calls than each class has threads, on the peer and the handover clients.
        var hanging: [Task<Void, Never>] = []
        for client in [f.context.peerCalls.http, f.context.peers.http] {
            for _ in 0..<4 {
                hanging.append(Task {
                    _ = try? await client.execute(HTTPRequest(url: "http://127.0.0.1:\(dead.port)/v1/galera/peer",
                                                              timeout: .seconds(60)))
                })
            }
        }
        defer { hanging.forEach { $0.cancel() } }
        // Both classes are busy once the dead peer holds a connection from each (one thread each).
        let deadline = ContinuousClock.now + .seconds(30)
        while dead.accepted < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(dead.accepted >= 2, "peer and handover calls reached the dead peer")

        let start = ContinuousClock.now
        let response = try await f.context.http.execute(HTTPRequest(url: "http://127.0.0.1:\(healthy.port)/healthz",
                                                                    timeout: .seconds(20)))
        let elapsed = ContinuousClock.now - start
        #expect(response.status == 200)
        // Generous: a starved check would wait for the hanging calls' 60 s timeout (and time out at 20 s).
        #expect(elapsed < .seconds(10), "the local check took \(elapsed)")
    }
}

extension HTTPIsolationTests {
    /// The handover (takeover calls at stop) does not queue behind hung peer fetches either.
    @Test func aHandoverCallCompletesWhilePeerFetchesHang() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let dead = try LoopbackServer(answer: false)
        let healthy = try LoopbackServer(answer: true)
        defer { dead.stop(); healthy.stop() }
        let peerClient = f.context.peerCalls.http
        let hanging = (0..<4).map { _ in
            Task {
                _ = try? await peerClient.execute(HTTPRequest(url: "http://127.0.0.1:\(dead.port)/v1/galera/peer",
                                                              timeout: .seconds(60)))
            }
        }
        defer { hanging.forEach { $0.cancel() } }
        let deadline = ContinuousClock.now + .seconds(30)
        while dead.accepted < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(dead.accepted >= 1)
        let start = ContinuousClock.now
        let response = try await f.context.peers.http.execute(HTTPRequest(url: "http://127.0.0.1:\(healthy.port)/v1/vip/x/takeover",
                                                                          timeout: .seconds(20)))
        #expect(response.status == 200)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(f.context.peers.http !== f.context.peerCalls.http && f.context.http !== f.context.peerCalls.http,
                "three distinct clients")
    }
}

/// A loopback TCP listener on its own thread: `answer` replies 200 to each request and closes;
/// otherwise it accepts and holds every connection without ever answering (a dead peer).
final class LoopbackServer: Sendable {
    let port: Int
    private let fd: Int32
    private let state = Mutex<(accepted: Int, held: [Int32], stopped: Bool)>((0, [], false))

    var accepted: Int { state.withLock { $0.accepted } }

    init(answer: Bool) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, length) }
        }
        guard bound == 0, listen(sock, 64) == 0 else { close(sock); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        fd = sock
        let listener = sock
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let stopped = self.state.withLock { s in
                    s.accepted += 1
                    if !answer { s.held.append(client) }
                    return s.stopped
                }
                if stopped { close(client); return }
                guard answer else { continue }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                    let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    request.append(contentsOf: buffer[..<n])
                }
                let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
                _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }

    func stop() {
        let held = state.withLock { s -> [Int32] in
            s.stopped = true
            defer { s.held = [] }
            return s.held
        }
        held.forEach { close($0) }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
