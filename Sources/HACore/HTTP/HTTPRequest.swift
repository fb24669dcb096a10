/// One HTTP header field as sent or received.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Credentials for HTTP basic authentication (the RabbitMQ management API).
///
/// The password never appears in `description`, `dump` or any `HTTPClientError` message.
public struct BasicAuth: Sendable, Hashable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

extension BasicAuth: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "BasicAuth(user: \(user), password: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["user": user, "password": "<redacted>"])
    }
}

/// A request for `HTTPClient.execute(_:)`.
///
/// Only `http` and `https` URLs are accepted, without credentials in the URL (use `basicAuth`, which
/// is kept out of logs and errors). Proxies from the environment are ignored and redirects are
/// returned as responses, never followed.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Limit on establishing the TCP (and TLS) connection, within `timeout`.
    public var connectTimeout: Duration
    /// Limit on the whole call, measured from the moment `execute` is called: time spent waiting for
    /// a free client thread counts.
    public var timeout: Duration
    public var basicAuth: BasicAuth?
    /// A response body larger than this fails with `HTTPClientError.responseTooLarge`.
    public var maxResponseBytes: Int

    public static let defaultMaxResponseBytes = 8 << 20

    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        connectTimeout: Duration = .seconds(1),
        timeout: Duration = .seconds(5),
        basicAuth: BasicAuth? = nil,
        maxResponseBytes: Int = HTTPRequest.defaultMaxResponseBytes
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.basicAuth = basicAuth
        self.maxResponseBytes = maxResponseBytes
    }
}

extension HTTPRequest: CustomStringConvertible {
    /// Method and URL only: headers (tokens, signatures) and the body stay out of logs.
    public var description: String { "\(method) \(url)" }
}
