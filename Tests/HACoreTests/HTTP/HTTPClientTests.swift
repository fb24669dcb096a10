import Foundation
@testable import HACore
import Testing

/// The routes every test server answers.
private func route(_ request: TestHTTPServer.Request) -> TestHTTPServer.Reply {
    switch request.path {
    case "/hello":
        return .respond(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "text/plain")],
                        body: Array("hello world".utf8))
    case "/echo":
        var headers = [HTTPHeader(name: "X-Method", value: request.method)]
        for name in ["X-Test", "Authorization", "Content-Type", "Expect"] {
            if let value = request.header(name) { headers.append(HTTPHeader(name: "X-Echo-\(name)", value: value)) }
        }
        return .respond(status: 200, headers: headers, body: request.body)
    case "/unavailable":
        return .respond(status: 503, body: Array("galera: not synced\n".utf8))
    case "/redirect":
        return .respond(status: 302, headers: [HTTPHeader(name: "Location", value: "/hello")])
    case "/big":
        return .respond(status: 200, body: [UInt8](repeating: 0x61, count: 1 << 20))
    case "/big-unsized":
        return .respond(status: 200, body: [UInt8](repeating: 0x61, count: 1 << 20), sized: false)
    case "/hang":
        return .hang
    default:
        return .respond(status: 404)
    }
}

/// Runs `body` against a fresh server and client and always stops both.
private func withServer(
    threads: Int = 2,
    _ body: (TestHTTPServer, HTTPClient, String) async throws -> Void
) async throws {
    let server = try TestHTTPServer(handler: route)
    let client = HTTPClient(threads: threads)
    do {
        try await body(server, client, "http://127.0.0.1:\(server.port)")
    } catch {
        await client.shutdown()
        server.stop()
        throw error
    }
    await client.shutdown()
    server.stop()
}

/// Executes `request` and returns its error, or nil if it got a response.
private func failure(_ client: HTTPClient, _ request: HTTPRequest) async -> HTTPClientError? {
    do {
        _ = try await client.execute(request)
        return nil
    } catch {
        return error
    }
}

/// The error a task running `execute` ended with (Task erases the typed error).
private func failure(of task: Task<HTTPResponse, any Error>) async -> HTTPClientError? {
    guard case .failure(let error) = await task.result else { return nil }
    return error as? HTTPClientError
}

private func elapsed(since start: ContinuousClock.Instant) -> Duration { .now - start }

@Suite("HTTPClient over loopback", .serialized, .timeLimit(.minutes(1)))
struct HTTPClientTests {
    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await withServer { _, client, base in
            let response = try await client.execute(HTTPRequest(url: "\(base)/hello"))
            #expect(response.status == 200)
            #expect(response.bodyString == "hello world")
            #expect(response.header("content-type") == "text/plain")
            #expect(response.header("CONTENT-LENGTH") == "11")
            #expect(response.header("X-Missing") == nil)
        }
    }

    @Test func postSendsBodyAndHeaders() async throws {
        try await withServer { _, client, base in
            let body = Array(String(repeating: "{\"k\":1}", count: 500).utf8)  // over curl's 1 KiB Expect threshold
            let request = HTTPRequest(
                method: "POST", url: "\(base)/echo",
                headers: [HTTPHeader(name: "X-Test", value: "abc 123"),
                          HTTPHeader(name: "Content-Type", value: "application/json")],
                body: body)
            let response = try await client.execute(request)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("X-Method") == "POST")
            #expect(response.header("X-Echo-X-Test") == "abc 123")
            #expect(response.header("X-Echo-Content-Type") == "application/json")
            // No `Expect: 100-continue` was sent, so curl did not wait (1 s) for a 100 Continue.
            #expect(response.header("X-Echo-Expect") == nil, "no wait for 100-continue")
        }
    }

    @Test(arguments: [("PUT", "payload"), ("DELETE", ""), ("POST", ""), ("PATCH", "x")])
    func otherMethodsKeepTheirNameAndBody(method: String, body: String) async throws {
        try await withServer { _, client, base in
            let response = try await client.execute(
                HTTPRequest(method: method, url: "\(base)/echo", body: Array(body.utf8)))
            #expect(response.header("X-Method") == method)
            #expect(response.bodyString == body)
            #expect(response.header("X-Echo-Content-Type") == nil, "curl must not invent a content type")
        }
    }

    @Test func basicAuthHeaderIsSent() async throws {
        try await withServer { _, client, base in
            let response = try await client.execute(HTTPRequest(
                url: "\(base)/echo", basicAuth: BasicAuth(user: "hactl", password: "s3cret:pw")))
            let expected = "Basic " + Data("hactl:s3cret:pw".utf8).base64EncodedString()
            #expect(response.header("X-Echo-Authorization") == expected)
        }
    }

    @Test func serverErrorIsAResponse() async throws {
        try await withServer { _, client, base in
            let response = try await client.execute(HTTPRequest(url: "\(base)/unavailable"))
            #expect(response.status == 503)
            #expect(response.bodyString == "galera: not synced\n")
        }
    }

    @Test func redirectIsReturnedNotFollowed() async throws {
        try await withServer { server, client, base in
            let response = try await client.execute(HTTPRequest(url: "\(base)/redirect"))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/hello")
            var paths: [String] = []
            for await request in server.requests {
                paths.append(request.path)
                if paths.count == 1 { break }
            }
            #expect(paths == ["/redirect"])
        }
    }

    @Test func refusedConnectionFailsQuicklyWithoutLeakingThePassword() async throws {
        let port = try TestHTTPServer.closedPort()
        let client = HTTPClient(threads: 1)
        let start = ContinuousClock.now
        let error = await failure(client, HTTPRequest(
                url: "http://127.0.0.1:\(port)/", basicAuth: BasicAuth(user: "u", password: "hunter2")))
        let took = elapsed(since: start)
        await client.shutdown()
        guard case .connect(let code, _)? = error else {
            Issue.record("expected .connect, got \(String(describing: error))")
            return
        }
        #expect(code == 7)  // CURLE_COULDNT_CONNECT: refused, not a connect timeout (28)
        #expect(took < HTTPRequest(url: "http://127.0.0.1/").connectTimeout, "refused at once, not at the connect timeout")
        #expect(!String(describing: error!).contains("hunter2"))
    }

    @Test func silentServerTimesOutWithinTheTimeout() async throws {
        try await withServer(threads: 1) { _, client, base in
            let start = ContinuousClock.now
            let error = await failure(client, HTTPRequest(url: "\(base)/hang", timeout: .milliseconds(500)))
            let took = elapsed(since: start)
            #expect(error == .timedOut(after: .milliseconds(500)))
            #expect(took >= .milliseconds(490))
            // Ended by the timeout, not by the server (it never answers); slack for a loaded machine.
            #expect(took < .milliseconds(500) + HTTPClient.deadlineGrace + .seconds(1))
        }
    }

    @Test func handshakeThatNeverCompletesIsAConnectTimeout() async throws {
        let (port, fds) = try TestHTTPServer.saturatedListener()
        defer { for fd in fds { close(fd) } }
        let client = HTTPClient(threads: 1)
        let start = ContinuousClock.now
        let error = await failure(client, HTTPRequest(
            url: "http://127.0.0.1:\(port)/", connectTimeout: .milliseconds(300), timeout: .seconds(3)))
        let took = elapsed(since: start)
        await client.shutdown()
        #expect(error == .timedOut(after: .milliseconds(300)))
        #expect(took < .seconds(3), "the connect timeout ended it, not the 3 s total timeout")
    }

    @Test func outerDeadlineResumesACallerCurlNeverServed() async throws {
        // The only thread is busy with a hung request, so the second request never reaches curl:
        // only the client's own deadline can end it.
        try await withServer(threads: 1) { server, client, base in
            let blocker = Task { try await client.execute(HTTPRequest(url: "\(base)/hang", timeout: .seconds(5))) }
            for await _ in server.requests { break }
            let start = ContinuousClock.now
            let error = await failure(client, HTTPRequest(url: "\(base)/hello", timeout: .milliseconds(300)))
            let took = elapsed(since: start)
            #expect(error == .timedOut(after: .milliseconds(300)))
            // Without the outer deadline it would wait for the blocker (5 s); slack for a loaded machine.
            #expect(took < .milliseconds(300) + HTTPClient.deadlineGrace + .seconds(1))
            blocker.cancel()
            _ = await blocker.result
        }
    }

    @Test func cancellationReturnsPromptlyAndFreesTheThread() async throws {
        try await withServer(threads: 1) { server, client, base in
            let task = Task { () async throws -> HTTPResponse in
                try await client.execute(HTTPRequest(url: "\(base)/hang", timeout: .seconds(10)))
            }
            for await _ in server.requests { break }
            let start = ContinuousClock.now
            task.cancel()
            let error = await failure(of: task)
            #expect(elapsed(since: start) < .seconds(5), "cancellation, not the 10 s timeout, ended it")
            #expect(error == .cancelled)
            // The one worker thread must have left curl: the next request is served at once.
            let next = ContinuousClock.now
            let response = try await client.execute(HTTPRequest(url: "\(base)/hello"))
            #expect(response.status == 200)
            #expect(elapsed(since: next) < .seconds(5), "the only thread was free again, not held by the hung transfer")
        }
    }

    @Test func alreadyCancelledTaskDoesNotSend() async throws {
        try await withServer { server, client, base in
            let task = Task { () async throws -> HTTPResponse in
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPRequest(url: "\(base)/hello"))
            }
            #expect(await failure(of: task) == .cancelled)
            #expect(server.connectionCount == 0)
        }
    }

    @Test func fiftyConcurrentRequestsComplete() async throws {
        try await withServer { _, client, base in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await client.execute(HTTPRequest(url: "\(base)/hello")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 50))
        }
    }

    @Test(arguments: ["/big", "/big-unsized"])
    func oversizedBodyIsRefused(path: String) async throws {
        try await withServer { _, client, base in
            let error = await failure(client, HTTPRequest(url: "\(base)\(path)", maxResponseBytes: 1000))
            #expect(error == .responseTooLarge(limit: 1000))
            let whole = try await client.execute(HTTPRequest(url: "\(base)\(path)", maxResponseBytes: 1 << 20))
            #expect(whole.body.count == 1 << 20)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServer(threads: 1) { server, client, base in
            for _ in 0..<20 {
                _ = try await client.execute(HTTPRequest(url: "\(base)/hello"))
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test func shutdownCancelsInFlightRequestsAndRefusesNewOnes() async throws {
        let server = try TestHTTPServer(handler: route)
        defer { server.stop() }
        let client = HTTPClient(threads: 1)
        let base = "http://127.0.0.1:\(server.port)"
        let task = Task { () async throws -> HTTPResponse in
            try await client.execute(HTTPRequest(url: "\(base)/hang", timeout: .seconds(10)))
        }
        for await _ in server.requests { break }
        let start = ContinuousClock.now
        await client.shutdown()
        #expect(elapsed(since: start) < .seconds(5), "shutdown cancelled the 10 s transfer")
        #expect(await failure(of: task) == .cancelled)
        let after = await failure(client, HTTPRequest(url: "\(base)/hello"))
        #expect(after == .cancelled)
        await client.shutdown()
    }

    @Test func aClientDroppedWithoutShutdownIsFreed() async throws {
        let server = try TestHTTPServer(handler: route)
        defer { server.stop() }
        weak var dropped: HTTPClient?
        do {
            let client = HTTPClient(threads: 1)
            dropped = client
            let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/hello"))
            #expect(response.status == 200)
        }
        // Its deinit stops the thread pool itself (NIOThreadPool traps if freed while running).
        #expect(dropped == nil)
    }

    /// The latency is a figure, printed (a median on a loaded 2-core machine says nothing about the
    /// client); what is asserted is what keeps it low: every request reuses the one connection.
    @Test func loopbackLatency() async throws {
        try await withServer(threads: 1) { server, client, base in
            let request = HTTPRequest(url: "\(base)/hello")
            _ = try await client.execute(request)
            var samples: [Duration] = []
            for _ in 0..<200 {
                let start = ContinuousClock.now
                _ = try await client.execute(request)
                samples.append(elapsed(since: start))
            }
            samples.sort()
            let median = samples[samples.count / 2]
            let p99 = samples[samples.count * 99 / 100]
            print("loopback GET latency over 200 sequential requests: median \(median), p99 \(p99)")
            #expect(server.connectionCount == 1, "one connection for all 201 requests")
        }
    }
}
