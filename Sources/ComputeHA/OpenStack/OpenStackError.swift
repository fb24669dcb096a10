import HACore

/// Why a Keystone or Nova call failed: the service, what was asked, and the raw cause (HTTP status
/// and Nova's or Keystone's own message, or the transport error). Never holds a password or a token.
public struct OpenStackError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable {
        /// The service answered with this status; `message` is its error text.
        case status(Int)
        /// No answer: connect, timeout, cancelled.
        case transport(HTTPClientError)
        /// The answer could not be read (not JSON, a field missing, no endpoint in the catalog).
        case malformed
        /// Something on our side (the password file, the config).
        case local
    }

    public var service: String
    public var operation: String
    public var cause: Cause
    public var message: String

    public init(_ service: String, _ operation: String, _ cause: Cause, _ message: String) {
        self.service = service
        self.operation = operation
        self.cause = cause
        self.message = message
    }

    public var status: Int? { if case .status(let code) = cause { code } else { nil } }

    public var description: String {
        switch cause {
        case .status(let code): "\(service) \(operation): \(code) \(message)"
        case .transport(let error): "\(service) \(operation): \(error)"
        case .malformed, .local: "\(service) \(operation): \(message)"
        }
    }
}

/// Sends one request: the HTTP client in production, a script in unit tests.
public typealias OpenStackTransport = @Sendable (HTTPRequest) async throws(HTTPClientError) -> HTTPResponse
