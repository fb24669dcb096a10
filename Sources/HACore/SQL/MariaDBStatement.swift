import CMariaDB
import Foundation

/// Parameter binding and typed row fetching for prepared statements (`MYSQL_BIND`); used by
/// ``MariaDBConnection`` on its thread. Every buffer is owned here and freed before returning.
enum MariaDBStatement {
    /// A string column's first buffer; a longer value is fetched again into one of its size.
    static let initialStringBuffer = 256

    /// Binds `parameters` to the statement's placeholders and executes it.
    static func execute(_ statement: UnsafeMutablePointer<MYSQL_STMT>, _ parameters: [SQLValue]) throws(SQLError) {
        let expected = Int(mysql_stmt_param_count(statement))
        guard expected == parameters.count else {
            throw SQLError(stage: .query, code: 2034, sqlState: "HY000",
                           message: "the statement has \(expected) placeholders, \(parameters.count) parameters given")
        }
        var buffers: [UnsafeMutableRawPointer] = []
        defer { for buffer in buffers { buffer.deallocate() } }
        var binds = parameters.map { value -> MYSQL_BIND in
            var bind = MYSQL_BIND()
            func own(_ count: Int) -> UnsafeMutableRawPointer {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 8)
                buffers.append(buffer)
                return buffer
            }
            func bytes<C: Collection>(_ content: C, type: enum_field_types) where C.Element == UInt8 {
                let buffer = own(content.count)
                buffer.copyMemory(from: Array(content), byteCount: content.count)
                bind.buffer = buffer
                bind.buffer_length = UInt(content.count)
                bind.buffer_type = type
            }
            switch value {
            case .null:
                bind.buffer_type = MYSQL_TYPE_NULL
            case .int(let number):
                bind.buffer = own(8)
                bind.buffer.storeBytes(of: number, as: Int64.self)
                bind.buffer_type = MYSQL_TYPE_LONGLONG
            case .uint(let number):
                bind.buffer = own(8)
                bind.buffer.storeBytes(of: number, as: UInt64.self)
                bind.buffer_type = MYSQL_TYPE_LONGLONG
                bind.is_unsigned = 1
            case .double(let number):
                bind.buffer = own(8)
                bind.buffer.storeBytes(of: number, as: Double.self)
                bind.buffer_type = MYSQL_TYPE_DOUBLE
            case .decimal(let text):
                bytes(text.utf8, type: MYSQL_TYPE_NEWDECIMAL)
            case .string(let text):
                bytes(text.utf8, type: MYSQL_TYPE_STRING)
            case .bytes(let data):
                bytes(data, type: MYSQL_TYPE_BLOB)
            case .date(let date):
                bind.buffer = own(MemoryLayout<MYSQL_TIME>.size)
                bind.buffer.storeBytes(of: time(date), as: MYSQL_TIME.self)
                bind.buffer_type = MYSQL_TYPE_DATETIME
            }
            return bind
        }
        let failed = binds.withUnsafeMutableBufferPointer { binds in
            // libmariadb copies the MYSQL_BIND array; the buffers it points at live until we return.
            (binds.isEmpty ? 0 : mysql_stmt_bind_param(statement, binds.baseAddress)) != 0
                || mysql_stmt_execute(statement) != 0
        }
        if failed { throw error(statement) }
    }

    /// Reads the statement's whole result set as typed rows; `[]` when it has none.
    static func fetchRows(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws(SQLError) -> [SQLRow] {
        guard let metadata = mysql_stmt_result_metadata(statement) else {
            if mysql_stmt_errno(statement) != 0 { throw error(statement) }
            return []
        }
        defer { mysql_free_result(metadata) }
        guard mysql_stmt_store_result(statement) == 0 else { throw error(statement) }
        let count = Int(mysql_num_fields(metadata))
        guard count > 0, let fieldArray = mysql_fetch_fields(metadata) else { return [] }
        let fields = (0..<count).map { fieldArray[$0] }
        let columns = SQLColumns(fields.map { String(cString: $0.name) })
        let slots = fields.map(ResultSlot.init)
        defer { for slot in slots { slot.deallocate() } }
        var binds = slots.map(\.bind)
        var rows: [SQLRow] = []
        let fetchError: SQLError? = binds.withUnsafeMutableBufferPointer { binds in
            guard mysql_stmt_bind_result(statement, binds.baseAddress) == 0 else { return error(statement) }
            while true {
                let status = mysql_stmt_fetch(statement)
                if status == MYSQL_NO_DATA { return nil }
                guard status == 0 || status == MYSQL_DATA_TRUNCATED else { return error(statement) }
                var values: [SQLValue] = []
                values.reserveCapacity(count)
                for (index, slot) in slots.enumerated() {
                    guard let value = slot.value(statement: statement, column: index) else { return error(statement) }
                    values.append(value)
                }
                rows.append(SQLRow(columns: columns, values: values))
            }
        }
        if let fetchError { throw fetchError }
        return rows
    }

    /// The statement's error, or the connection's when the statement has none.
    static func error(_ statement: UnsafeMutablePointer<MYSQL_STMT>) -> SQLError {
        let code = mysql_stmt_errno(statement)
        let message = String(cString: mysql_stmt_error(statement))
        let state = String(cString: mysql_stmt_sqlstate(statement))
        return SQLError(stage: .query, code: code, sqlState: state, message: message.isEmpty ? "unknown error" : message)
    }

    static func text(_ pointer: UnsafePointer<CChar>, length: Int) -> String {
        pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    // MARK: - Dates (UTC)

    static func time(_ date: Date) -> MYSQL_TIME {
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var micros = ((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded()
        if micros >= 1_000_000 {
            seconds += 1
            micros = 0
        }
        var whole = time_t(seconds)
        var parts = tm()
        gmtime_r(&whole, &parts)
        var time = MYSQL_TIME()
        time.year = UInt32(parts.tm_year + 1900)
        time.month = UInt32(parts.tm_mon + 1)
        time.day = UInt32(parts.tm_mday)
        time.hour = UInt32(parts.tm_hour)
        time.minute = UInt32(parts.tm_min)
        time.second = UInt32(parts.tm_sec)
        time.second_part = UInt(micros)
        time.time_type = MYSQL_TIMESTAMP_DATETIME
        return time
    }

    /// The UTC instant of a `DATE`/`DATETIME`/`TIMESTAMP`; nil for a zero or partial date
    /// (`0000-00-00`), which names no instant.
    static func date(_ time: MYSQL_TIME) -> Date? {
        guard time.year > 0, time.month > 0, time.day > 0 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(time.year) - 1900
        parts.tm_mon = Int32(time.month) - 1
        parts.tm_mday = Int32(time.day)
        parts.tm_hour = Int32(time.hour)
        parts.tm_min = Int32(time.minute)
        parts.tm_sec = Int32(time.second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + Double(time.second_part) / 1_000_000)
    }
}

/// One result column's buffers, and how its bytes become a ``SQLValue``.
private struct ResultSlot {
    enum Kind { case signed, unsigned, double, date, decimal, text, binary }

    let kind: Kind
    let bind: MYSQL_BIND
    let buffer: UnsafeMutableRawPointer
    let length: UnsafeMutablePointer<UInt>
    let isNull: UnsafeMutablePointer<my_bool>
    let truncated: UnsafeMutablePointer<my_bool>

    init(_ field: MYSQL_FIELD) {
        let binaryCharset: UInt32 = 63
        let kind: Kind
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            kind = field.flags & UInt32(UNSIGNED_FLAG) != 0 ? .unsigned : .signed
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            kind = .double
        case MYSQL_TYPE_DATE, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_NEWDATE:
            kind = .date
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
            kind = .decimal
        default:
            kind = field.charsetnr == binaryCharset ? .binary : .text
        }
        let size = switch kind {
        case .signed, .unsigned, .double: 8
        case .date: MemoryLayout<MYSQL_TIME>.size
        case .decimal, .text, .binary: MariaDBStatement.initialStringBuffer
        }
        self.kind = kind
        buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        length = .allocate(capacity: 1)
        length.initialize(to: 0)
        isNull = .allocate(capacity: 1)
        isNull.initialize(to: 0)
        truncated = .allocate(capacity: 1)
        truncated.initialize(to: 0)
        var bind = MYSQL_BIND()
        bind.buffer = buffer
        bind.buffer_length = UInt(size)
        bind.length = length
        bind.is_null = isNull
        bind.error = truncated
        switch kind {
        case .signed: bind.buffer_type = MYSQL_TYPE_LONGLONG
        case .unsigned:
            bind.buffer_type = MYSQL_TYPE_LONGLONG
            bind.is_unsigned = 1
        case .double: bind.buffer_type = MYSQL_TYPE_DOUBLE
        case .date: bind.buffer_type = MYSQL_TYPE_DATETIME
        case .decimal, .text: bind.buffer_type = MYSQL_TYPE_STRING
        case .binary: bind.buffer_type = MYSQL_TYPE_BLOB
        }
        self.bind = bind
    }

    func deallocate() {
        buffer.deallocate()
        length.deallocate()
        isNull.deallocate()
        truncated.deallocate()
    }

    /// The current row's value of this column; nil when refetching a long value failed.
    func value(statement: UnsafeMutablePointer<MYSQL_STMT>, column: Int) -> SQLValue? {
        if isNull.pointee != 0 { return .null }
        switch kind {
        case .signed: return .int(buffer.load(as: Int64.self))
        case .unsigned: return .uint(buffer.load(as: UInt64.self))
        case .double: return .double(buffer.load(as: Double.self))
        case .date:
            let time = buffer.load(as: MYSQL_TIME.self)
            return MariaDBStatement.date(time).map(SQLValue.date) ?? .string(Self.zeroDate(time))
        case .decimal, .text, .binary:
            guard let bytes = self.bytes(statement: statement, column: column) else { return nil }
            switch kind {
            case .decimal: return .decimal(String(decoding: bytes, as: UTF8.self))
            case .binary: return .bytes(bytes)
            default: return .string(String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// The column's bytes, fetched again into a buffer of their size when they did not fit.
    private func bytes(statement: UnsafeMutablePointer<MYSQL_STMT>, column: Int) -> [UInt8]? {
        let total = Int(length.pointee)
        if total <= Int(bind.buffer_length) {
            return Array(UnsafeRawBufferPointer(start: buffer, count: total))
        }
        var whole = [UInt8](repeating: 0, count: total)
        let failed = whole.withUnsafeMutableBytes { target in
            var again = bind
            again.buffer = target.baseAddress
            again.buffer_length = UInt(total)
            return mysql_stmt_fetch_column(statement, &again, UInt32(column), 0) != 0
        }
        return failed ? nil : whole
    }

    private static func zeroDate(_ time: MYSQL_TIME) -> String {
        func two(_ n: UInt32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(time.year)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year
            + "-\(two(time.month))-\(two(time.day)) \(two(time.hour)):\(two(time.minute)):\(two(time.second))"
    }
}
