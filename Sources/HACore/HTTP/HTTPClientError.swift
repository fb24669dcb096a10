/// Why `HTTPClient.execute(_:)` produced no response.
///
/// Messages carry curl's own text; they never include a basic-auth password or a request body.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    /// The connect timeout (`after` = `connectTimeout`) or the total timeout (`after` = `timeout`)
    /// expired, whether curl noticed or the client's outer deadline did.
    case timedOut(after: Duration)
    /// No connection: refused, unreachable, name not resolved, TLS handshake or verification failed.
    case connect(curlCode: Int32, message: String)
    /// The connection broke or the server answered something that is not HTTP.
    case transfer(curlCode: Int32, message: String)
    /// The response body exceeded `HTTPRequest.maxResponseBytes`.
    case responseTooLarge(limit: Int)
    /// The calling task was cancelled, or the client was shut down.
    case cancelled
    /// The request cannot be sent as given (bad URL, method or header); nothing reached the network.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .timedOut(let after):
            "HTTP request timed out after \(after.hactlHTTPText)"
        case .connect(let code, let message):
            "HTTP connect failed: \(message) (curl \(code))"
        case .transfer(let code, let message):
            "HTTP transfer failed: \(message) (curl \(code))"
        case .responseTooLarge(let limit):
            "HTTP response larger than \(limit) bytes"
        case .cancelled:
            "HTTP request cancelled"
        case .invalidRequest(let reason):
            "invalid HTTP request: \(reason)"
        }
    }
}

extension Duration {
    /// `250ms`, `5s`, `1.5s`: the unit style of the config file.
    var hactlHTTPText: String {
        let ms = milliseconds
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        if ms < 1000 { return "\(ms)ms" }
        return "\(ms / 1000).\(String(ms % 1000).leftPadded(to: 3).trimmingTrailingZeros)s"
    }

    /// Whole milliseconds, rounded up so a positive duration never becomes 0 (curl's "no limit").
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let perMilli: Int64 = 1_000_000_000_000_000
        return seconds * 1000 + (attoseconds + perMilli - 1) / perMilli
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }

    fileprivate var trimmingTrailingZeros: String {
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
