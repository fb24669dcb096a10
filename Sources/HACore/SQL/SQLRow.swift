import Foundation

/// The column names of one result set, shared by its rows.
public struct SQLColumns: Sendable, Hashable {
    /// In select order.
    public let names: [String]
    private let index: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        // A name that appears twice (`SELECT a.id, b.id`) resolves to its first column; alias it.
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    /// The position of the column named `name` (exact, case-sensitive: use the select list's alias).
    public func position(of name: String) -> Int? { index[name] }
}

/// One row of a result set: values by position, and typed access by column name or position.
///
/// ```swift
/// let rows = try connection.query("SELECT holder, epoch, expires FROM lease WHERE name = ?", "compute")
/// let epoch: UInt64 = try rows[0].decode("epoch")
/// let expires: Date? = try rows[0].decode("expires")   // nil for NULL
/// ```
///
/// Decoding is strict: a column is read as the Swift type that matches its SQL type (see
/// ``SQLDecodable``), `NULL` only as an Optional; anything else is a ``SQLError`` with stage `.decode`
/// that names the column and both kinds (never the value).
public struct SQLRow: Sendable, Hashable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        precondition(columns.names.count == values.count, "a row has one value per column")
        self.columns = columns
        self.values = values
    }

    /// The raw value at `position`, nil when there is no such column.
    public subscript(position: Int) -> SQLValue? { values.indices.contains(position) ? values[position] : nil }

    /// The raw value of the column `name`, nil when there is no such column.
    public subscript(name: String) -> SQLValue? { columns.position(of: name).map { values[$0] } }

    /// The column `name` as a `T`; throws when there is no such column, when it is `NULL` and `T` is
    /// not Optional, or when its type does not match.
    public func decode<T: SQLDecodable>(_ name: String, as type: T.Type = T.self) throws(SQLError) -> T {
        guard let position = columns.position(of: name) else {
            throw SQLError(stage: .decode, message: "no column '\(name)' (the row has \(Self.list(columns.names)))")
        }
        return try decode(values[position], column: "'\(name)'")
    }

    /// The column at `position` (0-based) as a `T`; the same rules as by name.
    public func decode<T: SQLDecodable>(at position: Int, as type: T.Type = T.self) throws(SQLError) -> T {
        guard values.indices.contains(position) else {
            throw SQLError(stage: .decode, message: "no column at position \(position) (the row has \(values.count))")
        }
        return try decode(values[position], column: "\(position) ('\(columns.names[position])')")
    }

    private func decode<T: SQLDecodable>(_ value: SQLValue, column: String) throws(SQLError) -> T {
        if let decoded = T(sqlValue: value) { return decoded }
        let problem = value == .null ? "is NULL" : "holds \(value.kind)"
        throw SQLError(stage: .decode, message: "column \(column) \(problem), expected \(T.sqlTypeName)")
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "no columns" : names.map { "'\($0)'" }.joined(separator: ", ")
    }
}

/// A Swift type a column can be read as. Conversions never lose information: an integer fits or
/// fails, a string is never parsed as a number.
///
/// | Swift | reads |
/// | --- | --- |
/// | `Int64`, `Int` | signed integers; unsigned ones that fit |
/// | `UInt64` | unsigned integers; signed ones >= 0 |
/// | `Double` | `FLOAT`/`DOUBLE`, integers, `DECIMAL` |
/// | `Bool` | integers 0 and 1 (`BOOLEAN` is `TINYINT(1)`) |
/// | `String` | character strings, `DECIMAL` text |
/// | `[UInt8]` | binary strings and blobs, character strings' UTF-8 |
/// | `Date` | `DATE`, `DATETIME`, `TIMESTAMP` (UTC) |
/// | `Optional<T>` | `NULL` as nil, else as `T` |
public protocol SQLDecodable {
    /// The value as Self, nil when it does not convert.
    init?(sqlValue: SQLValue)
    /// The name errors use (`Int64`, `String?`).
    static var sqlTypeName: String { get }
}

extension SQLDecodable {
    public static var sqlTypeName: String { "\(Self.self)" }
}

extension Int64: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .int(let value): self = value
        case .uint(let value): guard let exact = Int64(exactly: value) else { return nil }; self = exact
        default: return nil
        }
    }
}

extension Int: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let wide = Int64(sqlValue: sqlValue), let exact = Int(exactly: wide) else { return nil }
        self = exact
    }
}

extension UInt64: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .uint(let value): self = value
        case .int(let value): guard let exact = UInt64(exactly: value) else { return nil }; self = exact
        default: return nil
        }
    }
}

extension Double: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .double(let value): self = value
        case .int(let value): self = Double(value)
        case .uint(let value): self = Double(value)
        case .decimal(let text): guard let value = Double(text) else { return nil }; self = value
        default: return nil
        }
    }
}

extension Bool: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .int(0), .uint(0): self = false
        case .int(1), .uint(1): self = true
        default: return nil
        }
    }
}

extension String: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .string(let value), .decimal(let value): self = value
        default: return nil
        }
    }
}

extension Array: SQLDecodable where Element == UInt8 {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .bytes(let value): self = value
        case .string(let value): self = Array(value.utf8)
        default: return nil
        }
    }

    public static var sqlTypeName: String { "[UInt8]" }
}

extension Date: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard case .date(let value) = sqlValue else { return nil }
        self = value
    }
}

extension SQLValue: SQLDecodable {
    public init?(sqlValue: SQLValue) { self = sqlValue }
    public static var sqlTypeName: String { "SQLValue" }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        if sqlValue == .null {
            self = .none
        } else if let value = Wrapped(sqlValue: sqlValue) {
            self = .some(value)
        } else {
            return nil
        }
    }

    public static var sqlTypeName: String { "\(Wrapped.sqlTypeName)?" }
}
