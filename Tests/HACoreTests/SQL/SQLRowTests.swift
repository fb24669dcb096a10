import Foundation
import Testing
@testable import HACore

/// Typed rows without a server: strict conversions, NULL only as Optional, and errors that name the
/// column and the kinds but never the value.
@Suite("SQL rows and values")
struct SQLRowTests {
    static let columns = SQLColumns(["id", "epoch", "holder", "ratio", "price", "active", "expires", "blob", "gone", "big"])
    static let when = Date(timeIntervalSince1970: 1_764_936_000.25)
    static let row = SQLRow(columns: columns, values: [
        .int(-7), .uint(42), .string("node-1"), .double(0.5), .decimal("12.50"), .int(1), .date(when),
        .bytes([0, 1, 2]), .null, .uint(UInt64.max),
    ])

    @Test("each Swift type reads the columns that match it, by name and by position")
    func decodes() throws {
        let row = Self.row
        #expect(try row.decode("id", as: Int64.self) == -7)
        #expect(try row.decode("id", as: Int.self) == -7)
        #expect(try row.decode("epoch", as: UInt64.self) == 42)
        #expect(try row.decode("epoch", as: Int64.self) == 42)
        #expect(try row.decode("holder", as: String.self) == "node-1")
        #expect(try row.decode("ratio", as: Double.self) == 0.5)
        #expect(try row.decode("price", as: Double.self) == 12.5)
        #expect(try row.decode("price", as: String.self) == "12.50")
        #expect(try row.decode("active", as: Bool.self) == true)
        #expect(try row.decode("expires", as: Date.self) == Self.when)
        #expect(try row.decode("blob", as: [UInt8].self) == [0, 1, 2])
        #expect(try row.decode("gone", as: Date?.self) == nil)
        #expect(try row.decode("expires", as: Date?.self) == Self.when)
        #expect(try row.decode("gone", as: SQLValue.self) == .null)
        #expect(try row.decode(at: 2, as: String.self) == "node-1")
        #expect(try row.decode(at: 1, as: UInt64?.self) == 42)
        #expect(row["holder"] == .string("node-1"))
        #expect(row[9] == .uint(UInt64.max))
        #expect(row["nope"] == nil)
        #expect(row[10] == nil)
    }

    @Test("mismatches, NULL into a non-Optional, lossy integers and missing columns are clear errors")
    func errors() {
        let row = Self.row
        func failure(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as SQLError {
                #expect(error.stage == .decode)
                return error.description
            } catch {
                Issue.record("not an SQLError: \(error)")
                return nil
            }
        }
        #expect(failure { _ = try row.decode("holder", as: Int64.self) }
            == "decode: column 'holder' holds string, expected Int64")
        #expect(failure { _ = try row.decode("gone", as: String.self) }
            == "decode: column 'gone' is NULL, expected String")
        #expect(failure { _ = try row.decode("big", as: Int64.self) }
            == "decode: column 'big' holds unsigned integer, expected Int64")
        #expect(failure { _ = try row.decode("id", as: UInt64.self) }
            == "decode: column 'id' holds integer, expected UInt64")
        #expect(failure { _ = try row.decode("epoch", as: Bool.self) }
            == "decode: column 'epoch' holds unsigned integer, expected Bool")
        #expect(failure { _ = try row.decode("holder", as: Date?.self) }
            == "decode: column 'holder' holds string, expected Date?")
        #expect(failure { _ = try row.decode("expires", as: String.self) }
            == "decode: column 'expires' holds date, expected String")
        #expect(failure { _ = try row.decode("missing", as: Int.self) }
            == "decode: no column 'missing' (the row has 'id', 'epoch', 'holder', 'ratio', 'price', 'active', 'expires', 'blob', 'gone', 'big')")
        #expect(failure { _ = try row.decode(at: 12, as: Int.self) } == "decode: no column at position 12 (the row has 10)")
        #expect(failure { _ = try row.decode(at: 2, as: Double.self) }
            == "decode: column 2 ('holder') holds string, expected Double")
        // A string column never parses as a number, and the value never appears in the error.
        let secret = SQLRow(columns: SQLColumns(["n"]), values: [.string("12345-secret")])
        let message = failure { _ = try secret.decode("n", as: Int.self) }
        #expect(message == "decode: column 'n' holds string, expected Int")
        #expect(message?.contains("secret") == false)
    }

    @Test("a repeated column name resolves to its first column")
    func repeatedNames() throws {
        let row = SQLRow(columns: SQLColumns(["id", "id"]), values: [.int(1), .int(2)])
        #expect(try row.decode("id", as: Int.self) == 1)
        #expect(try row.decode(at: 1, as: Int.self) == 2)
    }

    @Test("encodable Swift values, Optional as NULL")
    func encodes() {
        let none: String? = nil
        let values: [any SQLEncodable] = [Int64(-1), 3, UInt64(4), 1.5, "x", true, false, Self.when, [UInt8](), none, SQLValue.decimal("1.0")]
        #expect(values.map(\.sqlValue) == [.int(-1), .int(3), .uint(4), .double(1.5), .string("x"), .int(1), .int(0),
                                           .date(Self.when), .bytes([]), .null, .decimal("1.0")])
    }

    @Test("dates go to MYSQL_TIME in UTC with microseconds and back")
    func dates() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let time = MariaDBStatement.time(date)
        #expect(time.year == 2023 && time.month == 11 && time.day == 14)
        #expect(time.hour == 22 && time.minute == 13 && time.second == 20)
        #expect(time.second_part == 123_456)
        let back = try #require(MariaDBStatement.date(time))
        #expect(abs(back.timeIntervalSince(date)) < 0.000_001)
        var zero = time
        zero.year = 0
        zero.month = 0
        zero.day = 0
        #expect(MariaDBStatement.date(zero) == nil)
    }

    @Test("targets print without the password and round library timeouts up")
    func targets() {
        let tcp = MariaDBTarget(endpoint: .tcp(host: "198.18.0.1", port: 3306), user: "hactl", passwordFile: "/etc/hactl/db.pass",
                                librarySeconds: 0)
        #expect(tcp.description == "hactl@198.18.0.1:3306")
        #expect(tcp.librarySeconds == 1)
        #expect(MariaDBTarget(endpoint: .tcp(host: "fd00::1", port: 3306), user: "u", passwordFile: "p", librarySeconds: 2).description
            == "u@[fd00::1]:3306")
        #expect(MariaDBTarget(endpoint: .socket(path: "/run/mysqld/mysqld.sock"), user: "u", passwordFile: "p", librarySeconds: 2)
            .description == "u@/run/mysqld/mysqld.sock")
        #expect(MariaDBTarget.wholeSeconds(.milliseconds(1500)) == 2)
        #expect(MariaDBTarget.wholeSeconds(.seconds(3)) == 3)
        #expect(MariaDBTarget.wholeSeconds(.zero) == 1)
    }
}
