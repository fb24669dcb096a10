@testable import HACore
import Testing

@Suite struct HTTPRequestValidationTests {
    static let invalid: [(String, HTTPRequest)] = [
        ("space in method", HTTPRequest(method: "GE T", url: "http://127.0.0.1/")),
        ("empty method", HTTPRequest(method: "", url: "http://127.0.0.1/")),
        ("ftp scheme", HTTPRequest(url: "ftp://127.0.0.1/")),
        ("no scheme", HTTPRequest(url: "127.0.0.1:9780/health")),
        ("credentials in URL", HTTPRequest(url: "http://admin:pw@127.0.0.1/")),
        ("space in URL", HTTPRequest(url: "http://127.0.0.1/a b")),
        ("no host", HTTPRequest(url: "http:///path")),
        ("CRLF in header value", HTTPRequest(url: "http://127.0.0.1/",
                                             headers: [HTTPHeader(name: "X", value: "a\r\nInjected: 1")])),
        ("colon in header name", HTTPRequest(url: "http://127.0.0.1/", headers: [HTTPHeader(name: "X:Y", value: "1")])),
        ("zero timeout", HTTPRequest(url: "http://127.0.0.1/", timeout: .zero)),
        ("zero size limit", HTTPRequest(url: "http://127.0.0.1/", maxResponseBytes: 0)),
    ]

    @Test(arguments: invalid)
    func rejected(reason: String, request: HTTPRequest) async {
        let client = HTTPClient(threads: 1)
        var caught: HTTPClientError?
        do {
            _ = try await client.execute(request)
        } catch {
            caught = error
        }
        await client.shutdown()
        guard case .invalidRequest? = caught else {
            Issue.record("\(reason): expected .invalidRequest, got \(String(describing: caught))")
            return
        }
    }

    @Test func acceptedForms() throws {
        for url in ["http://127.0.0.1:9780/health/galera", "HTTPS://[::1]/v3?x=@", "http://ctl1/#a@b"] {
            #expect(throws: Never.self) { try HTTPRequest(url: url).validate() }
        }
        #expect(throws: Never.self) {
            try HTTPRequest(url: "http://h/", headers: [HTTPHeader(name: "X-Empty", value: "")]).validate()
        }
    }

    @Test func secretsStayOutOfDescriptions() {
        let request = HTTPRequest(url: "http://127.0.0.1/", body: Array("token=abc".utf8),
                                  basicAuth: BasicAuth(user: "guest", password: "p4ss"))
        #expect(String(describing: request) == "GET http://127.0.0.1/")
        var dumped = ""
        dump(request, to: &dumped)
        #expect(!dumped.contains("p4ss"))
        #expect(!String(describing: request.basicAuth!).contains("p4ss"))
    }

    @Test(arguments: [
        (Duration.seconds(5), "5s"), (.milliseconds(250), "250ms"), (.milliseconds(1500), "1.5s"),
        (.microseconds(1), "1ms"),
    ])
    func durationText(duration: Duration, text: String) {
        #expect(duration.hactlHTTPText == text)
    }
}
