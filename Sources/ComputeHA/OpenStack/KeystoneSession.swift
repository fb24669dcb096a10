import Foundation
import HACore

/// A Keystone v3 password session: one project-scoped token, cached and renewed before it expires
/// (and at once after a 401), and the service catalog that came with it.
///
/// An actor: concurrent callers share one token request. The password is read from its file at each
/// authentication (a rotated file is picked up) and never logged, kept or put in an error.
public actor KeystoneSession {
    /// Who authenticates where: `compute.nova` (auth URL, user, password file, project, domains,
    /// region and catalog interface).
    public typealias Credentials = NovaSettings

    /// A token and what Keystone said about it.
    public struct Token: Sendable {
        public var value: String
        public var expiresAt: WallTime
        /// service type -> the URL of the configured interface and region.
        public var endpoints: [String: String]
    }

    public let credentials: Credentials
    private let transport: OpenStackTransport
    private let wallClock: any WallClock
    private let timeout: Duration
    /// A token this close to its expiry is renewed before use.
    private let renewBefore: Duration
    private var token: Token?
    private var pending: Task<Token, any Error>?
    /// Authentications so far (status, metrics, tests).
    public private(set) var authentications = 0

    public init(credentials: Credentials, transport: @escaping OpenStackTransport, wallClock: any WallClock = SystemWallClock(),
                timeout: Duration = .seconds(10), renewBefore: Duration = .seconds(120)) {
        self.credentials = credentials
        self.transport = transport
        self.wallClock = wallClock
        self.timeout = timeout
        self.renewBefore = renewBefore
    }

    /// A valid token (cached, or a new one).
    public func current() async throws(OpenStackError) -> Token {
        if let token, wallClock.now + renewBefore < token.expiresAt { return token }
        return try await authenticate()
    }

    /// Drops the cached token (after a 401) so the next `current()` authenticates again.
    public func invalidate(_ value: String) {
        if token?.value == value { token = nil }
    }

    /// The endpoint of a service type (`compute`, `placement`...) from the token's catalog.
    public func endpoint(_ type: String) async throws(OpenStackError) -> String {
        let token = try await current()
        guard let url = token.endpoints[type] else {
            throw OpenStackError("keystone", "catalog", .malformed,
                                 "no \(type) endpoint for interface \(credentials.interface) in region \(credentials.region)")
        }
        return url
    }

    private func authenticate() async throws(OpenStackError) -> Token {
        if let pending {
            do { return try await pending.value } catch let error as OpenStackError { throw error } catch {
                throw OpenStackError("keystone", "authenticate", .local, "\(error)")
            }
        }
        let task = Task { [credentials, transport, timeout] () async throws -> Token in
            try await Self.requestToken(credentials, transport: transport, timeout: timeout)
        }
        pending = task
        defer { pending = nil }
        do {
            let fresh = try await task.value
            token = fresh
            authentications += 1
            return fresh
        } catch let error as OpenStackError {
            throw error
        } catch {
            throw OpenStackError("keystone", "authenticate", .local, "\(error)")
        }
    }

    static func requestToken(_ credentials: Credentials, transport: OpenStackTransport, timeout: Duration) async throws(OpenStackError) -> Token {
        let password: String
        do { password = try SecretFile.read(credentials.passwordFile) } catch {
            throw OpenStackError("keystone", "authenticate", .local, error.description)
        }
        let body: [String: Any] = ["auth": [
            "identity": ["methods": ["password"], "password": ["user": [
                "name": credentials.username, "domain": ["name": credentials.userDomain], "password": password]]],
            "scope": ["project": ["name": credentials.project, "domain": ["name": credentials.projectDomain]]],
        ]]
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: body) } catch {
            throw OpenStackError("keystone", "authenticate", .local, "cannot encode the request")
        }
        let url = credentials.authURL.hasSuffix("/") ? credentials.authURL + "auth/tokens" : credentials.authURL + "/auth/tokens"
        let request = HTTPRequest(method: "POST", url: url, headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
                                  body: Array(data), connectTimeout: .seconds(2), timeout: timeout)
        let response: HTTPResponse
        do { response = try await transport(request) } catch {
            throw OpenStackError("keystone", "authenticate", .transport(error), error.description)
        }
        guard response.status == 201 || response.status == 200 else {
            throw OpenStackError("keystone", "authenticate as \(credentials.username)", .status(response.status),
                                 OpenStackJSON.errorMessage(response.body))
        }
        guard let value = response.header("X-Subject-Token"), !value.isEmpty else {
            throw OpenStackError("keystone", "authenticate", .malformed, "no X-Subject-Token in the answer")
        }
        return try parseToken(value: value, body: response.body, credentials: credentials)
    }

    static func parseToken(value: String, body: [UInt8], credentials: Credentials) throws(OpenStackError) -> Token {
        guard let root = OpenStackJSON.object(body), let token = root["token"] as? [String: Any],
              let expires = (token["expires_at"] as? String).flatMap(OpenStackJSON.time) else {
            throw OpenStackError("keystone", "authenticate", .malformed, "the token answer has no expires_at")
        }
        var endpoints: [String: String] = [:]
        for service in OpenStackJSON.objects(token["catalog"]) ?? [] {
            guard let type = service["type"] as? String else { continue }
            for endpoint in OpenStackJSON.objects(service["endpoints"]) ?? [] {
                let region = endpoint["region_id"] as? String ?? endpoint["region"] as? String
                guard endpoint["interface"] as? String == credentials.interface, region == credentials.region,
                      let url = endpoint["url"] as? String else { continue }
                endpoints[type] = url
            }
        }
        return Token(value: value, expiresAt: expires, endpoints: endpoints)
    }
}

/// Reading OpenStack's JSON: bounded, never trapping on what a server sends.
enum OpenStackJSON {
    static func object(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty, body.count <= 16 << 20 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// The objects of a JSON array, skipping anything else in it; nil when it is not an array.
    static func objects(_ value: Any?) -> [[String: Any]]? {
        (value as? [Any]).map { $0.compactMap { $0 as? [String: Any] } }
    }

    /// Nova's `{"badRequest": {"message": ...}}`, Keystone's `{"error": {"message": ...}}`, or the text.
    static func errorMessage(_ body: [UInt8]) -> String {
        if let root = object(body) {
            for value in root.values {
                if let inner = value as? [String: Any], let message = inner["message"] as? String { return clip(message) }
            }
        }
        return clip(String(decoding: body.prefix(300), as: UTF8.self))
    }

    static func clip(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "..." : line
    }

    /// `2026-12-06T03:30:00.000000Z`, `2026-12-06T03:30:00Z` or Nova's zone-less
    /// `2026-12-06T03:30:00.000000` (UTC). Nil for anything else.
    static func time(_ text: String) -> WallTime? {
        var core = Substring(text)
        if core.hasSuffix("Z") { core = core.dropLast() } else if core.hasSuffix("+00:00") { core = core.dropLast(6) }
        var fraction: Int64 = 0
        if let dot = core.firstIndex(of: ".") {
            let digits = core[core.index(after: dot)...].prefix(9)
            guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let value = Int64(digits) else { return nil }
            var scaled = value
            for _ in digits.count..<9 { scaled *= 10 }
            fraction = scaled
            core = core[..<dot]
        }
        guard core.first?.isNumber == true else { return nil }
        let parts = core.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" || $0 == " " })
        guard parts.count == 6, parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        let n = parts.compactMap { Int($0) }
        guard n.count == 6, (1970...9999).contains(n[0]), (1...12).contains(n[1]), (1...31).contains(n[2]),
              (0...23).contains(n[3]), (0...59).contains(n[4]), (0...60).contains(n[5]) else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm): no Foundation calendar, no locale.
        let y = n[1] <= 2 ? n[0] - 1 : n[0]
        let era = y / 400
        let yoe = y - era * 400
        let mp = (n[1] + 9) % 12
        let doy = (153 * mp + 2) / 5 + n[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        let seconds = days * 86_400 + Int64(n[3] * 3600 + n[4] * 60 + n[5])
        return WallTime(nanosecondsSinceEpoch: seconds * 1_000_000_000 + fraction)
    }
}
