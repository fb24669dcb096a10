import Foundation
import HACore
import HATestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The SQL target against a real, standalone `mariadbd` started by the test: bound parameters
/// (hostile strings, NUL bytes, large values), typed rows, transactions seen from a second
/// connection, and a server hung with SIGSTOP. Skips without root.
@Suite("SQL against a real mariadbd", .serialized, .enabled(if: LocalMariaDB.usable, "needs root and mariadbd (starts a real server)"), .timeLimit(.minutes(5)))
struct SQLServerTests {
    static let grants = """
        CREATE DATABASE hactl_test CHARACTER SET utf8mb4;
        GRANT ALL ON hactl_test.* TO 'hactl'@'127.0.0.1';
        GRANT ALL ON hactl_test.* TO 'hactl'@'localhost';
        """

    struct Rollback: Error, Equatable {}

    static func target(_ server: LocalMariaDB, passwordFile: String? = nil) -> MariaDBTarget {
        MariaDBTarget(endpoint: .tcp(host: "127.0.0.1", port: server.port), user: "hactl",
                      passwordFile: passwordFile ?? server.passwordFile, database: "hactl_test", librarySeconds: 2)
    }

    /// A client once the server answers (it may still be running its init file), bounded.
    static func client(_ server: LocalMariaDB, timeout: Duration = .seconds(2)) async throws -> MariaDBClient {
        let client = MariaDBClient(target: target(server), timeout: timeout)
        for _ in 0..<100 {
            if (try? await client.query("SELECT 1")) != nil { return client }
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await client.query("SELECT 1")
        return client
    }

    @Test("bound parameters: hostile strings, NUL bytes, large values and every type round trip as data")
    func binding() async throws {
        let server = try await LocalMariaDB.start(initSQL: Self.grants)
        defer { server.stop() }
        let client = try await Self.client(server)
        defer { client.shutdown() }
        try await client.withConnection { db in
            try db.run("""
                CREATE TABLE item (id BIGINT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(255) NOT NULL,
                  body LONGTEXT, data LONGBLOB, n BIGINT, u BIGINT UNSIGNED, d DOUBLE, price DECIMAL(10,2),
                  flag BOOLEAN, at DATETIME(6), UNIQUE KEY (name))
                """)
        }

        let hostile = ["'; DROP TABLE item; --", "a\u{0}b", "Robert'); DELETE FROM item;--", "\\", "\" OR 1=1 --",
                       "?", "ä 😀 \u{7f}", ""]
        let when = Date(timeIntervalSince1970: 1_764_936_000.123456)
        for (index, name) in hostile.enumerated() {
            let done = try await client.execute("INSERT INTO item (name, n, u, d, price, flag, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                                [.string(name), .int(Int64.min + Int64(index)), .uint(UInt64.max - UInt64(index)),
                                                 .double(0.1 * Double(index)), .decimal("12.50"), .bool(index % 2 == 0), .date(when)])
            #expect(done.affectedRows == 1)
            #expect(done.lastInsertID == UInt64(index + 1))
        }
        // The table is still there, with exactly those rows, each found by its own hostile name.
        let all = try await client.query("SELECT id, name, n, u, d, price, flag, at, body FROM item ORDER BY id")
        #expect(try all.map { try $0.decode("name", as: String.self) } == hostile)
        for (index, name) in hostile.enumerated() {
            let rows = try await client.query("SELECT id, name FROM item WHERE name = ?", [.string(name)])
            #expect(rows.count == 1)
            #expect(try rows.first?.decode("id", as: Int.self) == index + 1)
        }
        let first = try #require(all.first)
        #expect(try first.decode("n", as: Int64.self) == Int64.min)
        #expect(try first.decode("u", as: UInt64.self) == UInt64.max)
        #expect(try all[3].decode("d", as: Double.self) == 0.1 * 3)
        #expect(try first.decode("price", as: String.self) == "12.50")
        #expect(try first.decode("price", as: Double.self) == 12.5)
        #expect(try first.decode("flag", as: Bool.self) == true)
        #expect(try all[1].decode("flag", as: Bool.self) == false)
        #expect(try first.decode("at", as: Date.self) == when)
        #expect(try first.decode("body", as: String?.self) == nil)
        #expect(try all[1].decode("name", as: String.self).utf8.count == 3)

        // Large values: past the first fetch buffer and past a megabyte, text and binary.
        let text = String(repeating: "0123456789abcdef", count: 1 << 16) + "\u{0}end"
        let data = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await client.execute("UPDATE item SET body = ?, data = ? WHERE id = ?", [.string(text), .bytes(data), .int(1)])
        let big = try #require(try await client.query("SELECT body, data FROM item WHERE id = ?", [.int(1)]).first)
        #expect(try big.decode("body", as: String.self) == text)
        #expect(try big.decode("data", as: [UInt8].self) == data)
        #expect(big["data"] == .bytes(data))

        // NULL parameters, inline parameters, and the computed column types.
        let computed = try await client.withConnection { db in
            try db.query("SELECT ? AS nothing, ? + 1 AS next, CAST(? AS DATETIME(6)) AS t, COUNT(*) AS total FROM item",
                         SQLValue.null, 41, when)
        }
        let row = try #require(computed.first)
        #expect(try row.decode("nothing", as: String?.self) == nil)
        #expect(try row.decode("next", as: Int.self) == 42)
        #expect(try row.decode("total", as: Int.self) == hostile.count)

        // A statement run many times is prepared once and reused; results stay right.
        for round in 0..<50 {
            let rows = try await client.query("SELECT ? AS echo", [.int(Int64(round))])
            #expect(try rows[0].decode("echo", as: Int.self) == round)
        }
    }

    @Test("errors: syntax, duplicate keys, placeholder count, type mismatch, wrong password (never shown)")
    func errors() async throws {
        let server = try await LocalMariaDB.start(initSQL: Self.grants)
        defer { server.stop() }
        let client = try await Self.client(server)
        defer { client.shutdown() }
        try await client.withConnection { db in
            try db.run("CREATE TABLE lease (name VARCHAR(64) PRIMARY KEY, holder VARCHAR(64), epoch BIGINT UNSIGNED NOT NULL)")
            try db.execute("INSERT INTO lease VALUES (?, ?, ?)", "compute", "c1", UInt64(1))
        }
        func sqlError(_ body: @escaping @Sendable (MariaDBConnection) throws -> Void) async -> SQLError? {
            do {
                try await client.withConnection(body)
                return nil
            } catch let error as SQLError {
                return error
            } catch {
                Issue.record("not an SQLError: \(error)")
                return nil
            }
        }
        let syntax = await sqlError { _ = try $0.query("SELEC ?", 1) }
        #expect(syntax?.stage == .query)
        #expect(syntax?.code == 1064)
        let duplicate = await sqlError { try $0.execute("INSERT INTO lease VALUES (?, ?, ?)", "compute", "c2", 2) }
        #expect(duplicate?.isDuplicateKey == true)
        #expect(duplicate?.sqlState == "23000")
        let count = await sqlError { _ = try $0.query("SELECT * FROM lease WHERE name = ? AND holder = ?", "compute") }
        #expect(count?.description == "query: the statement has 2 placeholders, 1 parameters given (errno 2034)")
        let mismatch = await sqlError { _ = try $0.query("SELECT holder FROM lease")[0].decode("holder", as: UInt64.self) }
        #expect(mismatch?.description == "decode: column 'holder' holds string, expected UInt64")
        // The connection survives server errors.
        #expect(try await client.query("SELECT epoch FROM lease")[0].decode("epoch", as: UInt64.self) == 1)

        let wrongFile = server.directory + "/wrong.pass"
        try "not-the-password\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        chmod(wrongFile, 0o600)
        let wrong = MariaDBClient(target: Self.target(server, passwordFile: wrongFile), timeout: .seconds(2))
        defer { wrong.shutdown() }
        await #expect(throws: SQLError.self) { try await wrong.query("SELECT 1") }
        do {
            _ = try await wrong.query("SELECT 1")
        } catch {
            #expect("\(error)" == "connect: Access denied for user 'hactl'@'127.0.0.1' (using password: YES) (errno 1045)")
            #expect(!"\(error)".contains("not-the-password"))
            #expect(!"\(error)".contains(LocalMariaDB.password))
        }
    }

    @Test("transactions: commit is seen by a second connection, a thrown error rolls back, a killed connection reconnects")
    func transactions() async throws {
        let server = try await LocalMariaDB.start(initSQL: Self.grants)
        defer { server.stop() }
        let client = try await Self.client(server)
        defer { client.shutdown() }
        let other = try await Self.client(server)
        defer { other.shutdown() }
        try await client.withConnection { db in
            try db.run("CREATE TABLE lease (name VARCHAR(64) PRIMARY KEY, holder VARCHAR(64), epoch BIGINT UNSIGNED NOT NULL)")
        }
        let target = Self.target(server)

        // Committed: visible from the other connection; not before the commit.
        let seenInside = try await client.transaction { db -> Int in
            try db.execute("INSERT INTO lease VALUES (?, ?, ?)", "compute", "c1", UInt64(1))
            // A second connection, opened here (this is the client's thread), does not see it yet.
            let peek = try MariaDBConnection(target: target)
            return try peek.query("SELECT COUNT(*) AS n FROM lease")[0].decode("n", as: Int.self)
        }
        #expect(seenInside == 0)
        #expect(try await other.query("SELECT holder FROM lease WHERE name = ?", ["compute"])[0].decode("holder", as: String.self) == "c1")

        // Thrown: rolled back, the error comes through unchanged, the connection is clean afterwards.
        await #expect(throws: Rollback.self) {
            try await client.transaction { db in
                try db.execute("UPDATE lease SET holder = ?, epoch = epoch + 1 WHERE name = ?", "c2", "compute")
                try db.execute("INSERT INTO lease VALUES (?, ?, ?)", "vip", "c2", UInt64(1))
                throw Rollback()
            }
        }
        let after = try await other.query("SELECT name, holder, epoch FROM lease ORDER BY name")
        #expect(after.count == 1)
        #expect(try after[0].decode("holder", as: String.self) == "c1")
        #expect(try after[0].decode("epoch", as: UInt64.self) == 1)
        #expect(try await client.withConnection { $0.inTransaction } == false)

        // A body that leaves a transaction open has it rolled back when the call ends.
        try await client.withConnection { db in
            try db.begin()
            try db.execute("DELETE FROM lease")
        }
        #expect(try await other.query("SELECT COUNT(*) AS n FROM lease")[0].decode("n", as: Int.self) == 1)

        // A fenced update: the epoch condition decides, affectedRows tells.
        let fenced = try await client.execute("UPDATE lease SET holder = ?, epoch = ? WHERE name = ? AND epoch = ?",
                                              ["c3", .uint(2), "compute", .uint(1)])
        let stale = try await other.execute("UPDATE lease SET holder = ?, epoch = ? WHERE name = ? AND epoch = ?",
                                            ["c4", .uint(2), "compute", .uint(1)])
        #expect(fenced.affectedRows == 1)
        #expect(stale.affectedRows == 0)

        // The server drops the connection: that call fails with a client error, the next reconnects.
        let id = try await client.query("SELECT CONNECTION_ID() AS id")[0].decode("id", as: UInt64.self)
        try await other.withConnection { try $0.run("KILL \(id)") }
        do {
            _ = try await client.query("SELECT 1")
            Issue.record("a killed connection answered")
        } catch let error as SQLError {
            #expect(error.isClientError, "\(error)")
        }
        let again = try await client.query("SELECT CONNECTION_ID() AS id")[0].decode("id", as: UInt64.self)
        #expect(again != id)
    }

    @Test("a SIGSTOPped server: calls return a timeout at their deadline, stuck threads exit by the library timeout")
    func hungServer() async throws {
        let server = try await LocalMariaDB.start(initSQL: Self.grants)
        defer { server.stop() }
        let clock = SystemClock()
        let client = try await Self.client(server, timeout: .seconds(1))
        defer { client.shutdown() }

        server.signal(SIGSTOP)
        let start = clock.now
        do {
            _ = try await client.query("SELECT ?", [1])
            Issue.record("a stopped server answered")
        } catch let error as SQLError {
            #expect(error.stage == .timeout)
            #expect(error.description == "timeout: hactl@127.0.0.1:\(server.port) did not answer within 1.0 seconds")
        }
        let waited = clock.now - start
        print("SQL call against the stopped server returned after \(waited)")
        #expect(waited >= .milliseconds(990))
        #expect(waited <= .milliseconds(1300))
        #expect(client.stuckThreads == 1)

        // A fresh connection whose handshake hangs: the same bound, with its own deadline.
        let second = clock.now
        await #expect(throws: SQLError.self) {
            _ = try await client.query("SELECT 1", deadline: clock.now + .milliseconds(300))
        }
        #expect(clock.now - second <= .milliseconds(600))
        #expect(client.stuckThreads == 2)

        // The server stays stopped; libmariadb's own timeouts (2 s) free the abandoned threads.
        for _ in 0..<100 where client.stuckThreads > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(client.stuckThreads == 0)

        server.signal(SIGCONT)
        #expect(try await client.query("SELECT ? AS one", [1])[0].decode("one", as: Int.self) == 1)
    }
}
