import Foundation
import HACore

/// Recoveries on the controllers' Galera cluster (database `hactl`, reached with the `galera:`
/// section's credentials): one row per recovery holding its whole state as JSON, written before each
/// of its actions runs (``RecoveryStore``). A controller whose server is not in the Primary
/// component gets an error from every write (Galera refuses them), so it cannot act.
///
/// The leader lease and the fencing epoch of the detection issue go in the same database; every
/// recovery write will carry the epoch in the same statement.
public final class GaleraRecoveryStore: RecoveryStore, Sendable {
    public static let database = "hactl"
    static let table = "compute_recovery"

    private let client: MariaDBClient

    /// `client` must point at database ``database`` (``migrate(_:)`` creates it).
    public init(client: MariaDBClient) {
        self.client = client
    }

    /// Creates the database and the table when they are missing (idempotent; run at start by every
    /// controller, so the first one up makes them). `client` must not name a database yet.
    public static func migrate(_ client: MariaDBClient) async throws {
        try await client.withConnection { db in
            try db.run("CREATE DATABASE IF NOT EXISTS \(database) CHARACTER SET utf8mb4")
            try db.run("""
                CREATE TABLE IF NOT EXISTS \(database).\(table) (
                  id VARCHAR(64) NOT NULL PRIMARY KEY,
                  host VARCHAR(255) NOT NULL,
                  phase VARCHAR(32) NOT NULL,
                  started_at BIGINT NOT NULL,
                  finished_at BIGINT NULL,
                  saves BIGINT UNSIGNED NOT NULL DEFAULT 1,
                  state LONGTEXT NOT NULL,
                  KEY host_started (host, started_at),
                  KEY phase (phase)
                ) ENGINE=InnoDB
                """)
        }
    }

    public func save(_ recovery: RecoveryStateMachine) async throws {
        let state = String(decoding: try JSONEncoder().encode(recovery), as: UTF8.self)
        let finished: SQLValue = recovery.finishedAt.map { .int($0.nanosecondsSinceEpoch) } ?? .null
        try await client.execute("""
            INSERT INTO \(Self.table) (id, host, phase, started_at, finished_at, state) VALUES (?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE phase = VALUES(phase), finished_at = VALUES(finished_at), state = VALUES(state),
              saves = saves + 1
            """, [.string(recovery.id), .string(recovery.host), .string(recovery.phase.rawValue),
                  .int(recovery.startedAt.nanosecondsSinceEpoch), finished, .string(state)])
    }

    /// One recovery, or nil.
    public func load(_ id: String) async throws -> RecoveryStateMachine? {
        try await decode(client.query("SELECT state FROM \(Self.table) WHERE id = ?", [.string(id)])).first
    }

    /// Recoveries not in a final phase, oldest first: what a controller resumes.
    public func unfinished() async throws -> [RecoveryStateMachine] {
        let finals = RecoveryPhase.allCases.filter(\.isFinal).map { SQLValue.string($0.rawValue) }
        return try await decode(client.query(
            "SELECT state FROM \(Self.table) WHERE phase NOT IN (?, ?, ?) ORDER BY started_at, id", finals))
    }

    /// Every recovery of `host` (every host, with nil), oldest first, at most `limit`.
    public func history(host: String? = nil, limit: Int = 1000) async throws -> [RecoveryStateMachine] {
        let bounded = Int64(min(max(limit, 1), 100_000))
        if let host {
            return try await decode(client.query(
                "SELECT state FROM \(Self.table) WHERE host = ? ORDER BY started_at, id LIMIT ?", [.string(host), .int(bounded)]))
        }
        return try await decode(client.query("SELECT state FROM \(Self.table) ORDER BY started_at, id LIMIT ?", [.int(bounded)]))
    }

    private func decode(_ rows: [SQLRow]) throws -> [RecoveryStateMachine] {
        try rows.map { row in
            let text: String = try row.decode("state")
            return try JSONDecoder().decode(RecoveryStateMachine.self, from: Data(text.utf8))
        }
    }
}
