import Foundation

/// One value sent to or read from MariaDB: a statement parameter (bound, never spliced into the SQL
/// text) or a column of a ``SQLRow``.
///
/// Read values follow the column's type: integer columns give ``int(_:)`` (``uint(_:)`` when
/// `UNSIGNED`), `FLOAT`/`DOUBLE` give ``double(_:)``, `DECIMAL` gives ``decimal(_:)`` (its exact text),
/// `DATE`/`DATETIME`/`TIMESTAMP` give ``date(_:)`` (read as UTC), binary strings and blobs give
/// ``bytes(_:)``, other strings give ``string(_:)``, and `NULL` gives ``null``.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// A `DECIMAL` as the server prints it (`12.50`): exact, unlike a Double.
    case decimal(String)
    /// Any bytes, NUL included; sent as a string in the connection's character set (utf8mb4).
    case string(String)
    /// Binary data (`BLOB`, `VARBINARY`).
    case bytes([UInt8])
    /// A point in time, sent and read as a UTC `DATETIME` with microseconds.
    case date(Date)

    /// Sent as `TINYINT` 1 or 0 (MariaDB's `BOOLEAN`).
    public static func bool(_ value: Bool) -> SQLValue { .int(value ? 1 : 0) }

    /// What kind of value this is, for error messages (never the value itself: it may be a secret).
    public var kind: String {
        switch self {
        case .null: "NULL"
        case .int: "integer"
        case .uint: "unsigned integer"
        case .double: "double"
        case .decimal: "decimal"
        case .string: "string"
        case .bytes: "bytes"
        case .date: "date"
        }
    }
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// A Swift value that can be a statement parameter.
public protocol SQLEncodable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLEncodable { public var sqlValue: SQLValue { self } }
extension Int64: SQLEncodable { public var sqlValue: SQLValue { .int(self) } }
extension Int: SQLEncodable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int32: SQLEncodable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension UInt64: SQLEncodable { public var sqlValue: SQLValue { .uint(self) } }
extension UInt32: SQLEncodable { public var sqlValue: SQLValue { .uint(UInt64(self)) } }
extension Double: SQLEncodable { public var sqlValue: SQLValue { .double(self) } }
extension String: SQLEncodable { public var sqlValue: SQLValue { .string(self) } }
extension Substring: SQLEncodable { public var sqlValue: SQLValue { .string(String(self)) } }
extension Bool: SQLEncodable { public var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLEncodable { public var sqlValue: SQLValue { .date(self) } }
extension Array: SQLEncodable where Element == UInt8 { public var sqlValue: SQLValue { .bytes(self) } }
extension Optional: SQLEncodable where Wrapped: SQLEncodable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}
