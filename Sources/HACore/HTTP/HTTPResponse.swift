/// A complete HTTP response. Any status, 5xx included, is a response, not an error.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The header fields of the final response, in the order received (those of interim 1xx
    /// responses are dropped).
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header field called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body decoded as UTF-8, invalid sequences replaced.
    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}
