import Foundation
import HACore

/// Pure parsers for the management API's answers (RabbitMQ 3.10 shapes). Unknown fields are ignored,
/// missing ones are `nil`; a body that is not the expected JSON is an ``MQError`` at stage
/// `.management` naming the endpoint.
extension MQManagement {
    /// `GET /api/nodes/{node}` with status 200.
    public static func parseNode(_ body: [UInt8], path: String = "/api/nodes/{node}") throws(MQError) -> MQNodeStats {
        let wire: NodeWire = try decode(NodeWire.self, body, path: path)
        var stats = MQNodeStats(name: wire.name, running: wire.running, partitions: wire.partitions,
                                memAlarm: wire.mem_alarm, diskFreeAlarm: wire.disk_free_alarm)
        stats.fdUsed = wire.fd_used
        stats.fdTotal = wire.fd_total
        stats.socketsUsed = wire.sockets_used
        stats.socketsTotal = wire.sockets_total
        stats.memUsed = wire.mem_used
        stats.memLimit = wire.mem_limit
        stats.diskFree = wire.disk_free
        stats.diskFreeLimit = wire.disk_free_limit
        stats.uptimeMs = wire.uptime
        return stats
    }

    /// `GET /api/nodes?columns=name,running,partitions` with status 200.
    public static func parseClusterNodes(_ body: [UInt8], path: String = "/api/nodes") throws(MQError) -> [MQClusterNode] {
        let wire: [ClusterWire] = try decode([ClusterWire].self, body, path: path)
        return wire.map { MQClusterNode(name: $0.name, running: $0.running ?? false, partitions: $0.partitions ?? []) }
    }

    /// A `/api/health/checks/...` answer: 200 and 503 carry `{"status":...}`; any other status is an error.
    public static func parseHealthCheck(status: Int, body: [UInt8], path: String) throws(MQError) -> MQHealthCheck {
        guard status == 200 || status == 503 else { throw httpError(status: status, body: body, path: path) }
        let wire: CheckWire = try decode(CheckWire.self, body, path: path)
        let check = MQHealthCheck(status: wire.status, reason: wire.reason,
                                  alarms: wire.alarms?.compactMap(\.resource),
                                  queues: wire.queues?.compactMap { $0.readable_name ?? $0.name })
        // A 503 that says ok (or a 200 that says failed) is not an answer we can trust either way.
        guard (status == 200) == check.ok else {
            throw MQError(stage: .management, message: "\(path) answered HTTP \(status) with status \"\(wire.status)\"")
        }
        return check
    }

    /// A non-success answer: `HTTP 401: Login failed` (the API's `reason`, else its `error`, else none).
    static func httpError(status: Int, body: [UInt8], path: String) -> MQError {
        let wire = try? JSONDecoder().decode(ErrorWire.self, from: Data(body))
        let text = wire?.reason ?? wire?.error ?? ""
        return MQError(stage: .management, message: String(text.prefix(200)), httpStatus: status)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], path: String) throws(MQError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw MQError(stage: .management, message: "unexpected answer from \(path): \(describe(error))")
        }
    }

    /// DecodingError's description is multi-line and long; the health reason needs a short line.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted?: "not JSON"
        case .keyNotFound(let key, _)?: "missing \(key.stringValue)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "bad \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }

    // The API's field names, verbatim. The figures are best effort: one of an unexpected type (some
    // versions report `fd_used` as a string where it cannot be measured) is nil, not a failed probe.
    private struct NodeWire: Decodable {
        var name: String?
        var running: Bool?
        var partitions: [String]?
        var mem_alarm: Bool?
        var disk_free_alarm: Bool?
        var fd_used: Int?
        var fd_total: Int?
        var sockets_used: Int?
        var sockets_total: Int?
        var mem_used: Int64?
        var mem_limit: Int64?
        var disk_free: Int64?
        var disk_free_limit: Int64?
        var uptime: Int64?

        enum CodingKeys: String, CodingKey {
            case name, running, partitions, mem_alarm, disk_free_alarm, fd_used, fd_total, sockets_used
            case sockets_total, mem_used, mem_limit, disk_free, disk_free_limit, uptime
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            running = try c.decodeIfPresent(Bool.self, forKey: .running)
            partitions = try c.decodeIfPresent([String].self, forKey: .partitions)
            mem_alarm = try c.decodeIfPresent(Bool.self, forKey: .mem_alarm)
            disk_free_alarm = try c.decodeIfPresent(Bool.self, forKey: .disk_free_alarm)
            fd_used = try? c.decodeIfPresent(Int.self, forKey: .fd_used)
            fd_total = try? c.decodeIfPresent(Int.self, forKey: .fd_total)
            sockets_used = try? c.decodeIfPresent(Int.self, forKey: .sockets_used)
            sockets_total = try? c.decodeIfPresent(Int.self, forKey: .sockets_total)
            mem_used = try? c.decodeIfPresent(Int64.self, forKey: .mem_used)
            mem_limit = try? c.decodeIfPresent(Int64.self, forKey: .mem_limit)
            disk_free = try? c.decodeIfPresent(Int64.self, forKey: .disk_free)
            disk_free_limit = try? c.decodeIfPresent(Int64.self, forKey: .disk_free_limit)
            uptime = try? c.decodeIfPresent(Int64.self, forKey: .uptime)
        }
    }

    private struct ClusterWire: Decodable {
        var name: String
        var running: Bool?
        var partitions: [String]?
    }

    private struct CheckWire: Decodable {
        struct Alarm: Decodable { var node: String?; var resource: String? }
        struct Queue: Decodable { var name: String?; var readable_name: String? }
        var status: String
        var reason: String?
        var alarms: [Alarm]?
        var queues: [Queue]?
    }

    private struct ErrorWire: Decodable {
        var error: String?
        var reason: String?
    }
}
