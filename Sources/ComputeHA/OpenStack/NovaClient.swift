import Foundation
import HACore

/// The Nova calls a recovery makes, at a negotiated microversion: the lower of the configured one and
/// the server's maximum, and at least 2.53 (service ids are UUIDs and `forced_down` is settable from
/// there). Never `os-hypervisors/detail` (at 2.88+ it makes an RPC to every compute that still looks
/// up: 60 s for one that just died).
///
/// Every call takes a token from the session and, on a 401, authenticates once more and retries once.
public struct NovaClient: Sendable {
    /// A nova-compute service as `os-services` lists it.
    public struct Service: Sendable, Equatable {
        public var id: String
        public var host: String
        /// `up` or `down`.
        public var state: String
        /// `enabled` or `disabled`.
        public var status: String
        public var forcedDown: Bool
        public var disabledReason: String?
        public var updatedAt: WallTime?
    }

    /// The lowest microversion this client works with.
    public static let minimumVersion = Microversion(2, 53)

    public let session: KeystoneSession
    private let transport: OpenStackTransport
    /// The microversion asked for (`compute_api_version`); the server's maximum lowers it.
    public let wanted: Microversion
    public var timeout: Duration

    public init(session: KeystoneSession, transport: @escaping OpenStackTransport, wanted: Microversion = Microversion(2, 93),
                timeout: Duration = .seconds(10)) {
        self.session = session
        self.transport = transport
        self.wanted = wanted
        self.timeout = timeout
    }

    // MARK: - version

    /// The version to use: min(wanted, the server's maximum); an error below ``minimumVersion``.
    public func negotiate() async throws(OpenStackError) -> Microversion {
        let response = try await send("GET", "", version: nil, operation: "version discovery")
        guard let root = OpenStackJSON.object(response.body), let version = root["version"] as? [String: Any],
              let maxText = version["version"] as? String, let max = Microversion(maxText) else {
            throw OpenStackError("nova", "version discovery", .malformed, "no version in the answer")
        }
        let chosen = Swift.min(wanted, max)
        guard chosen >= Self.minimumVersion else {
            throw OpenStackError("nova", "version discovery", .local,
                                 "microversion \(chosen) is below \(Self.minimumVersion) (server max \(max), configured \(wanted))")
        }
        return chosen
    }

    // MARK: - services

    /// The nova-compute service of `host`, or nil when Nova does not know the host.
    public func computeService(host: String, version: Microversion) async throws(OpenStackError) -> Service? {
        let response = try await send("GET", "/os-services?binary=nova-compute&host=\(Self.query(host))", version: version,
                                      operation: "list services of \(host)")
        guard let root = OpenStackJSON.object(response.body), let list = OpenStackJSON.objects(root["services"]) else {
            throw OpenStackError("nova", "list services of \(host)", .malformed, "no services list")
        }
        return list.compactMap(Self.service).first { $0.host == host }
    }

    /// `forced_down` true or false.
    public func setForcedDown(_ service: Service, _ down: Bool, version: Microversion) async throws(OpenStackError) {
        try await put(service, ["forced_down": down], version: version, operation: (down ? "force down " : "un-force ") + service.host)
    }

    /// Disable with a reason, or enable.
    public func setEnabled(_ service: Service, _ enabled: Bool, reason: String? = nil, version: Microversion) async throws(OpenStackError) {
        var body: [String: Any] = ["status": enabled ? "enabled" : "disabled"]
        if !enabled, let reason { body["disabled_reason"] = reason }
        try await put(service, body, version: version, operation: (enabled ? "enable " : "disable ") + service.host)
    }

    private func put(_ service: Service, _ body: [String: Any], version: Microversion, operation: String) async throws(OpenStackError) {
        _ = try await send("PUT", "/os-services/\(Self.query(service.id))", body: body, version: version, operation: operation)
    }

    // MARK: - servers

    /// Every server Nova places on `host` (every server, with nil), in all projects.
    public func servers(host: String?, version: Microversion) async throws(OpenStackError) -> [ServerView] {
        let what = host.map { "list servers of \($0)" } ?? "list servers"
        var all: [ServerView] = []
        var marker: String?
        for _ in 0..<100 {
            var path = "/servers/detail?all_tenants=1&limit=1000" + (host.map { "&host=\(Self.query($0))" } ?? "")
            if let marker { path += "&marker=\(Self.query(marker))" }
            let response = try await send("GET", path, version: version, operation: what)
            guard let root = OpenStackJSON.object(response.body), let list = OpenStackJSON.objects(root["servers"]) else {
                throw OpenStackError("nova", what, .malformed, "no servers list")
            }
            let page = list.compactMap(Self.server)
            all += page
            guard list.count >= 1000, let last = page.last else { return all }
            marker = last.id
        }
        return all
    }

    /// One server; nil when it no longer exists.
    public func server(_ id: String, version: Microversion) async throws(OpenStackError) -> ServerView? {
        let response: HTTPResponse
        do {
            response = try await send("GET", "/servers/\(Self.query(id))", version: version, operation: "show server \(id)")
        } catch {
            if error.status == 404 { return nil }
            throw error
        }
        guard let root = OpenStackJSON.object(response.body), let body = root["server"] as? [String: Any],
              let server = Self.server(body) else {
            throw OpenStackError("nova", "show server \(id)", .malformed, "no server in the answer")
        }
        return server
    }

    /// Evacuate one server (to `host`, or where the scheduler says), as the workflow's answer.
    public func evacuate(_ id: String, to host: String?, version: Microversion) async -> EvacuateAnswer {
        let body: [String: Any] = ["evacuate": host.map { ["host": $0] } ?? [String: String]()]
        do {
            _ = try await send("POST", "/servers/\(Self.query(id))/action", body: body, version: version, operation: "evacuate \(id)")
            return .accepted
        } catch {
            return Self.evacuateAnswer(error)
        }
    }

    /// Maps a failed evacuate call to what the workflow does with it.
    static func evacuateAnswer(_ error: OpenStackError) -> EvacuateAnswer {
        switch error.status {
        case 404: return .notFound
        case 409: return .conflict(error.description)
        case 400 where error.message.contains("still in use") || error.message.contains("is up"):
            return .hostNotDown(error.description)
        default: return .rejected(error.description)
        }
    }

    /// `os-start`.
    public func start(_ id: String, version: Microversion) async throws(OpenStackError) {
        _ = try await send("POST", "/servers/\(Self.query(id))/action", body: ["os-start": NSNull()], version: version,
                           operation: "start \(id)")
    }

    /// Whether Nova recorded an evacuation of `id` created at or after `since` (less a minute of clock
    /// skew between the controllers and Nova).
    public func evacuationRecorded(_ id: String, since: WallTime, version: Microversion) async throws(OpenStackError) -> Bool {
        let response = try await send("GET", "/os-migrations?instance_uuid=\(Self.query(id))&migration_type=evacuation",
                                      version: version, operation: "list migrations of \(id)")
        guard let root = OpenStackJSON.object(response.body), let list = OpenStackJSON.objects(root["migrations"]) else {
            throw OpenStackError("nova", "list migrations of \(id)", .malformed, "no migrations list")
        }
        let floor = since - .seconds(60)
        return list.contains { migration in
            guard migration["migration_type"] as? String == "evacuation" else { return false }
            guard let created = (migration["created_at"] as? String).flatMap(OpenStackJSON.time) else { return true }
            return created >= floor
        }
    }

    // MARK: - the one request path

    func send(_ method: String, _ path: String, body: [String: Any]? = nil, version: Microversion?,
              operation: String) async throws(OpenStackError) -> HTTPResponse {
        var bytes: [UInt8] = []
        if let body {
            do { bytes = Array(try JSONSerialization.data(withJSONObject: body)) } catch {
                throw OpenStackError("nova", operation, .local, "cannot encode the request")
            }
        }
        for attempt in 0..<2 {
            let token = try await session.current()
            guard let base = token.endpoints["compute"] else {
                throw OpenStackError("nova", operation, .malformed, "no compute endpoint in the catalog")
            }
            var headers = [HTTPHeader(name: "X-Auth-Token", value: token.value), HTTPHeader(name: "Accept", value: "application/json")]
            if !bytes.isEmpty { headers.append(HTTPHeader(name: "Content-Type", value: "application/json")) }
            if let version {
                headers.append(HTTPHeader(name: "OpenStack-API-Version", value: "compute \(version)"))
                headers.append(HTTPHeader(name: "X-OpenStack-Nova-API-Version", value: "\(version)"))
            }
            let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
            let request = HTTPRequest(method: method, url: url, headers: headers, body: bytes, connectTimeout: .seconds(2), timeout: timeout)
            let response: HTTPResponse
            do { response = try await transport(request) } catch {
                throw OpenStackError("nova", operation, .transport(error), error.description)
            }
            if response.status == 401, attempt == 0 {
                await session.invalidate(token.value)
                continue
            }
            guard (200..<300).contains(response.status) else {
                throw OpenStackError("nova", operation, .status(response.status), OpenStackJSON.errorMessage(response.body))
            }
            return response
        }
        throw OpenStackError("nova", operation, .status(401), "unauthorized after a new token")
    }

    // MARK: - reading answers

    static func service(_ item: [String: Any]) -> Service? {
        guard let host = item["host"] as? String else { return nil }
        let id = (item["id"] as? String) ?? (item["id"] as? Int).map(String.init)
        guard let id else { return nil }
        return Service(id: id, host: host, state: item["state"] as? String ?? "unknown", status: item["status"] as? String ?? "unknown",
                       forcedDown: item["forced_down"] as? Bool ?? false, disabledReason: item["disabled_reason"] as? String,
                       updatedAt: (item["updated_at"] as? String).flatMap(OpenStackJSON.time))
    }

    static func server(_ item: [String: Any]) -> ServerView? {
        guard let id = item["id"] as? String, !id.isEmpty else { return nil }
        var properties: [String: String] = [:]
        if let flavor = item["flavor"] as? [String: Any], let specs = flavor["extra_specs"] as? [String: Any] {
            for (key, value) in specs { properties[key] = "\(value)" }
        }
        var metadata: [String: String] = [:]
        for (key, value) in item["metadata"] as? [String: Any] ?? [:] { metadata[key] = "\(value)" }
        return ServerView(id: id, name: item["name"] as? String ?? "", host: item["OS-EXT-SRV-ATTR:host"] as? String,
                          status: item["status"] as? String ?? "UNKNOWN", taskState: item["OS-EXT-STS:task_state"] as? String,
                          metadata: metadata, properties: properties)
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+/?#"))) ?? text
    }
}

/// A Nova API microversion, `2.53`.
public struct Microversion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `2.93`; nil for anything else (bounded: at most 4 digits each).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor)
    }

    public static func < (lhs: Microversion, rhs: Microversion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }
}
