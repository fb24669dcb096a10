import HACore

/// The management API calls of one probe, against the local node's management listener.
///
/// Only cheap, node-local endpoints: `GET /api/nodes/{node}` (selected columns),
/// `/api/health/checks/local-alarms`, `/node-is-quorum-critical`, `/node-is-mirror-sync-critical`,
/// and the cluster view `GET /api/nodes?columns=name,running,partitions`. Never the cluster-wide
/// `/api/health/checks/alarms`, whose answer would depend on the other nodes.
///
/// Threading: a `Sendable` value; every call suspends on the transport (HACore's ``HTTPClient`` runs
/// curl on its own threads). Each call is bounded by the `timeout` it is given; cancelling the calling
/// task aborts the transfer. The password is read from the password file once per probe
/// (``credentials()``) and lives only in the ``BasicAuth`` of that probe's requests.
public struct MQManagement: Sendable {
    /// One HTTP exchange: ``HTTPClient/execute(_:)`` in production, a fake in tests.
    public typealias Transport = @Sendable (HTTPRequest) async throws(HTTPClientError) -> HTTPResponse

    /// `http://198.18.0.11:15672` (IPv6 in brackets).
    public let baseURL: String
    /// The Erlang node name, e.g. `rabbit@ctl1`.
    public let node: String
    public let user: String
    public let passwordFile: String
    /// Added to each request's timeout so that the probe's own deadline, not curl's, fires first on a
    /// hung broker: the verdict is then `probe timeout after ...`, not an HTTP timeout.
    static let curlGrace: Duration = .milliseconds(100)
    private let transport: Transport

    public init(baseURL: String, node: String, user: String, passwordFile: String, transport: @escaping Transport) {
        self.baseURL = baseURL
        self.node = node
        self.user = user
        self.passwordFile = passwordFile
        self.transport = transport
    }

    /// The management API of `controller`'s node at `address`:`management.port`, with
    /// `management.user`/`password_file` (the AMQP ones when unset).
    public init(config: RabbitMQConfig, controller: String, address: IPAddress, transport: @escaping Transport) {
        let host = address.description.contains(":") ? "[\(address)]" : address.description
        self.init(baseURL: "http://\(host):\(config.management.port)", node: config.nodeName(on: controller),
                  user: config.management.user ?? config.amqp.user,
                  passwordFile: config.management.passwordFile ?? config.amqp.passwordFile, transport: transport)
    }

    public static let localAlarmsPath = "/api/health/checks/local-alarms"
    public static let quorumCriticalPath = "/api/health/checks/node-is-quorum-critical"
    public static let mirrorSyncCriticalPath = "/api/health/checks/node-is-mirror-sync-critical"
    public static let clusterPath = "/api/nodes?columns=name,running,partitions"

    /// `/api/nodes/rabbit%40ctl1?columns=...`.
    public var nodePath: String {
        "/api/nodes/\(Self.percentEncoded(node))?columns=\(MQNodeStats.columns.joined(separator: ","))"
    }

    /// The basic-auth credentials, read from the password file now.
    public func credentials() -> Result<BasicAuth, MQError> {
        do {
            return .success(BasicAuth(user: user, password: try SecretFile.read(passwordFile)))
        } catch {
            return .failure(MQError(stage: .management, message: error.message))
        }
    }

    /// `GET /api/nodes/{node}`; 200 is parsed, anything else is an error with the status.
    public func nodeStats(auth: BasicAuth, timeout: Duration) async -> Result<MQNodeStats, MQError> {
        let path = nodePath
        return await get(path, auth: auth, timeout: timeout).flatMap { response in
            guard response.status == 200 else {
                return .failure(Self.httpError(status: response.status, body: response.body, path: path))
            }
            return Result { () throws(MQError) in try Self.parseNode(response.body, path: path) }
        }
    }

    /// One `/api/health/checks/...` endpoint; 200 and 503 are answers, anything else an error.
    public func healthCheck(_ path: String, auth: BasicAuth, timeout: Duration) async -> Result<MQHealthCheck, MQError> {
        await get(path, auth: auth, timeout: timeout).flatMap { response in
            Result { () throws(MQError) in try Self.parseHealthCheck(status: response.status, body: response.body, path: path) }
        }
    }

    /// `GET /api/nodes?columns=name,running,partitions`.
    public func clusterNodes(auth: BasicAuth, timeout: Duration) async -> Result<[MQClusterNode], MQError> {
        let path = Self.clusterPath
        return await get(path, auth: auth, timeout: timeout).flatMap { response in
            guard response.status == 200 else {
                return .failure(Self.httpError(status: response.status, body: response.body, path: path))
            }
            return Result { () throws(MQError) in try Self.parseClusterNodes(response.body, path: path) }
        }
    }

    private func get(_ path: String, auth: BasicAuth, timeout: Duration) async -> Result<HTTPResponse, MQError> {
        let limit = max(timeout, .milliseconds(1)) + Self.curlGrace
        let request = HTTPRequest(url: baseURL + path, headers: [HTTPHeader(name: "Accept", value: "application/json")],
                                  connectTimeout: min(limit, .seconds(1)), timeout: limit, basicAuth: auth,
                                  maxResponseBytes: 1 << 20)
        do {
            return .success(try await transport(request))
        } catch {
            let timedOut = if case .timedOut = error { true } else { false }
            return .failure(MQError(stage: .management, message: error.description, timedOut: timedOut))
        }
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (`@` becomes `%40`).
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
