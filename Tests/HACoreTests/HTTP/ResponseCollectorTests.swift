@testable import HACore
import Testing

@Suite struct ResponseCollectorTests {
    private func collector(limit: Int = 100) -> ResponseCollector {
        ResponseCollector(
            transfer: HTTPTransfer(request: HTTPRequest(url: "http://127.0.0.1/"), deadline: .now),
            limit: limit)
    }

    private func feed(_ collector: ResponseCollector, _ lines: [String]) {
        for line in lines {
            Array(line.utf8).withUnsafeBytes { collector.appendHeaderLine($0) }
        }
    }

    @Test func keepsOnlyTheFinalResponsesHeaders() {
        let c = collector()
        feed(c, ["HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n",
                 "HTTP/1.1 200 OK\r\n", "Content-Type:  text/plain \r\n", "X-Folded: a\r\n", "\t b\r\n",
                 "X-Empty:\r\n", "garbage\r\n", "\r\n"])
        #expect(c.headers == [HTTPHeader(name: "Content-Type", value: "text/plain"),
                              HTTPHeader(name: "X-Folded", value: "a b"),
                              HTTPHeader(name: "X-Empty", value: "")])
    }

    @Test func bodyStopsAtTheLimit() {
        let c = collector(limit: 10)
        #expect([UInt8](repeating: 1, count: 6).withUnsafeBytes { c.appendBody($0) })
        #expect(!c.exceededLimit)
        #expect(![UInt8](repeating: 1, count: 5).withUnsafeBytes { c.appendBody($0) })
        #expect(c.exceededLimit)
        #expect(c.body.count == 6)
    }

    @Test func responseHeaderLookupIgnoresCase() {
        let response = HTTPResponse(status: 200, headers: [HTTPHeader(name: "Retry-After", value: "3"),
                                                           HTTPHeader(name: "retry-after", value: "9")])
        #expect(response.header("RETRY-AFTER") == "3")
    }
}
