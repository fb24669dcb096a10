import Foundation

/// Talks to agents over their HTTP API: unsigned `GET`s and signed admin/peer `POST`s.
/// Used by the CLI and by agents for peer calls. Every call has connect and total timeouts, so an
/// unreachable or hung agent costs at most `timeout`.
public struct AgentClient: Sendable {
    public let config: ClusterConfig
    public let signer: RequestSigner
    public let http: HTTPClient
    public var connectTimeout: Duration = .seconds(1)
    public var timeout: Duration = .seconds(3)
    /// The time a signature carries (`t=`): injected so tests can sign at any instant.
    public let wallClock: any WallClock

    public init(config: ClusterConfig, signer: RequestSigner, http: HTTPClient, wallClock: any WallClock = SystemWallClock()) {
        self.config = config
        self.signer = signer
        self.http = http
        self.wallClock = wallClock
    }

    public func baseURL(_ controller: Controller) -> String {
        let host = controller.address.isIPv4 ? controller.address.description : "[\(controller.address)]"
        return "http://\(host):\(config.cluster.apiPort)"
    }

    /// `GET /v1/status` of one controller.
    public func status(of controller: Controller) async throws(AgentClientError) -> NodeStatus {
        try await get("/v1/status", of: controller, as: NodeStatus.self)
    }

    /// `GET /v1/vip` of one controller.
    public func vips(of controller: Controller) async throws(AgentClientError) -> [VIPStatus] {
        try await get("/v1/vip", of: controller, as: [VIPStatus].self)
    }

    /// An unsigned `GET` of a read-only JSON view (`/v1/galera`, ...); anything but 200 is an error.
    public func get<T: Decodable>(_ path: String, of controller: Controller, as type: T.Type) async throws(AgentClientError) -> T {
        let response = try await send(HTTPRequest(method: "GET", url: baseURL(controller) + path,
                                                  connectTimeout: connectTimeout, timeout: timeout), to: controller)
        guard response.status == 200 else { throw .http(node: controller.name, status: response.status, body: response.bodyString) }
        return try decode(type, response, from: controller)
    }

    /// Runs `body` against every controller concurrently; results in config order.
    public func each<T: Sendable>(_ body: @escaping @Sendable (Controller) async throws(AgentClientError) -> T)
        async -> [(Controller, Result<T, AgentClientError>)] {
        await withTaskGroup(of: (Int, Result<T, AgentClientError>).self) { group in
            for (index, controller) in config.controllers.enumerated() {
                group.addTask {
                    do throws(AgentClientError) { return (index, .success(try await body(controller))) } catch { return (index, .failure(error)) }
                }
            }
            var results = [Result<T, AgentClientError>?](repeating: nil, count: config.controllers.count)
            for await (index, result) in group { results[index] = result }
            return zip(config.controllers, results.map { $0! }).map { ($0, $1) }
        }
    }

    /// A signed `POST` of an admin action (`/v1/node/drain`, ...).
    public func admin(_ path: String, on controller: Controller, body: [UInt8] = []) async throws(AgentClientError) -> AdminResult {
        try await call(path, on: controller, body: body, as: AdminResult.self, acceptAnyStatus: true)
    }

    /// A signed `POST` whose answer is JSON of `type`. With `acceptAnyStatus` a decodable body is the
    /// answer whatever the status (admin results carry their own `ok`); otherwise only 200 is.
    /// `timeout` overrides the client's for slow actions (a Galera node's start waits for its SST).
    ///
    /// The call is signed for `controller` and this cluster, and the answer must carry the agent's
    /// MAC over this call's nonce (`X-Hactl-Response`): an unsigned, forged or replayed answer is
    /// `.unauthenticatedAnswer` and nothing in it is used. An unsigned 401 is `.unauthorized` (the
    /// agent signs only answers to calls it accepted).
    public func call<T: Decodable>(_ path: String, on controller: Controller, body: [UInt8] = [], as type: T.Type,
                                   acceptAnyStatus: Bool = false, timeout: Duration? = nil) async throws(AgentClientError) -> T {
        let nonce = RequestSigner.makeNonce()
        let auth = signer.sign(method: "POST", path: path, body: body, node: controller.name, cluster: config.cluster.name,
                               unixTime: wallClock.now.secondsSinceEpoch, nonce: nonce)
        let request = HTTPRequest(method: "POST", url: baseURL(controller) + path,
                                  headers: [HTTPHeader(name: RequestSigner.headerName, value: auth),
                                            HTTPHeader(name: "Content-Type", value: "application/json")],
                                  body: body, connectTimeout: connectTimeout, timeout: timeout ?? self.timeout)
        let response = try await send(request, to: controller)
        let answer = signer.verifyAnswer(header: response.header(RequestSigner.answerHeaderName), nonce: nonce,
                                         status: response.status, body: response.body,
                                         node: controller.name, cluster: config.cluster.name)
        if case .failure(let failure) = answer {
            if response.status == 401 { throw .unauthorized(node: controller.name, reason: response.bodyString) }
            throw .unauthenticatedAnswer(node: controller.name, reason: failure.rawValue)
        }
        guard acceptAnyStatus || response.status == 200, let result = try? decode(type, response, from: controller) else {
            throw .http(node: controller.name, status: response.status, body: response.bodyString)
        }
        return result
    }

    private func send(_ request: HTTPRequest, to controller: Controller) async throws(AgentClientError) -> HTTPResponse {
        do { return try await http.execute(request) } catch {
            throw .unreachable(node: controller.name, address: baseURL(controller), cause: error)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, from controller: Controller) throws(AgentClientError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(response.body)) } catch {
            throw .badResponse(node: controller.name, message: "\(error)")
        }
    }
}

public enum AgentClientError: Error, CustomStringConvertible, Sendable {
    case unreachable(node: String, address: String, cause: HTTPClientError)
    case unauthorized(node: String, reason: String)
    case http(node: String, status: Int, body: String)
    case badResponse(node: String, message: String)
    /// The answer to a signed call lacked a valid `X-Hactl-Response` MAC; its content was not used.
    case unauthenticatedAnswer(node: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let node, let address, let cause): "\(node) (\(address)) unreachable: \(cause)"
        case .unauthorized(let node, let reason): "\(node) refused the call: \(reason.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines))"
        case .http(let node, let status, let body): "\(node) answered HTTP \(status): \(body.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines))"
        case .badResponse(let node, let message): "\(node) sent an unreadable answer: \(message)"
        case .unauthenticatedAnswer(let node, let reason): "\(node) sent an answer that failed authentication: \(reason)"
        }
    }
}
