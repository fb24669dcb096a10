/// `checks: NAME: { http: URL, expect: 200 }`: passes when a GET answers with the expected status.
/// Runs on the HTTP client's own threads; the runner's deadline and cancellation bound it.
public struct HTTPCheck: HealthCheck {
    public let name: String
    public let url: String
    public let expectStatus: Int
    public let timeout: Duration
    let client: HTTPClient

    public init(name: String, url: String, expectStatus: Int, timeout: Duration, client: HTTPClient) {
        self.name = name; self.url = url; self.expectStatus = expectStatus; self.timeout = timeout; self.client = client
    }

    public func run(at start: MonotonicInstant) async -> CheckResult {
        let request = HTTPRequest(method: "GET", url: url, connectTimeout: timeout, timeout: timeout)
        do {
            let response = try await client.execute(request)
            if response.status == expectStatus { return .passing(at: start) }
            return .critical("HTTP \(response.status) from \(url) (expected \(expectStatus))", at: start)
        } catch {
            return .critical("GET \(url): \(error)", at: start)
        }
    }
}
