import CMariaDB

/// What a statement without a result set did.
public struct SQLExecution: Sendable, Equatable {
    /// Rows inserted, updated or deleted (`UPDATE` counts rows changed, not rows matched).
    public var affectedRows: UInt64
    /// The `AUTO_INCREMENT` value the statement generated, 0 when none.
    public var lastInsertID: UInt64

    public init(affectedRows: UInt64, lastInsertID: UInt64) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
    }
}

/// One libmariadb connection (`MYSQL *`): blocking calls, each bounded by the library's
/// connect/read/write timeouts (``MariaDBTarget/librarySeconds``).
///
/// - ``query(_:_:)`` / ``execute(_:_:)``: prepared statements (`mysql_stmt_*`): every value is a
///   bound parameter, never part of the SQL text, so no value can change the statement. Statements
///   are prepared once per connection and kept (up to ``statementCacheLimit``).
/// - ``textQuery(_:)`` / ``run(_:)``: the text protocol, for statements without parameters (`SHOW`,
///   `SET`, DDL) in one round trip.
/// - ``transaction(_:)``: `START TRANSACTION` … `COMMIT`, rolled back when the body throws.
///
/// Threading: not Sendable. Created, used and released on one thread, as libmariadb requires of a
/// connection; ``MariaDBClient`` gives it a dedicated thread and an exact outer deadline, so blocking
/// calls never run on Swift's cooperative pool. Released (deinit) = closed.
///
/// Errors are ``SQLError``s; they carry the server's message, which never holds the password (it is
/// not in the target and not in any statement).
public final class MariaDBConnection {
    /// Prepared statements kept per connection; beyond it the cache is emptied and starts again.
    public static let statementCacheLimit = 64

    public let target: MariaDBTarget
    /// Whether ``begin()`` was called without a ``commit()`` or ``rollback()`` since.
    public private(set) var inTransaction = false
    /// Whether a call failed with a client error (`CR_*`: the connection was lost or timed out in
    /// the library): the connection is in doubt and should be released; a new one reconnects.
    public private(set) var isBroken = false

    private let handle: UnsafeMutablePointer<MYSQL>
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]

    /// libmariadb's global state, set up once before any connection (`mysql_init` would do it lazily,
    /// but not thread-safely). It also sets SIGPIPE to SIG_IGN for the whole process.
    /// (`mysql_library_init` is a C macro for `mysql_server_init`.)
    private static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    /// Reads the password file, connects and authenticates; blocking, bounded by the library timeouts.
    public init(target: MariaDBTarget) throws(SQLError) {
        guard Self.libraryReady, let handle = mysql_init(nil) else {
            throw SQLError(stage: .connect, code: 2008, message: "mysql_init failed (out of memory)")
        }
        // From here on a throw runs deinit, which closes the handle.
        self.handle = handle
        self.target = target
        let password: String
        do { password = try SecretFile.read(target.passwordFile) } catch {
            throw SQLError(stage: .password, message: error.message)
        }
        setOptions()
        let connected: UnsafeMutablePointer<MYSQL>?
        switch target.endpoint {
        case .tcp(let host, let port):
            connected = mysql_real_connect(handle, host, target.user, password, target.database,
                                           UInt32(clamping: port), nil, 0)
        case .socket(let path):
            connected = mysql_real_connect(handle, nil, target.user, password, target.database, 0, path, 0)
        }
        guard connected != nil else { throw Self.error(handle, stage: .connect) }
    }

    deinit {
        for statement in statements.values { mysql_stmt_close(statement) }
        // COM_QUIT is one small write into the socket buffer: it does not block even on a hung server.
        mysql_close(handle)
    }

    // MARK: - Prepared statements

    /// Runs one statement with `parameters` bound to its `?` placeholders, in order, and returns its
    /// rows (empty for a statement without a result set). Values are typed by their column
    /// (see ``SQLValue``).
    public func query(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> [SQLRow] {
        try withStatement(sql, parameters) { statement throws(SQLError) in
            try MariaDBStatement.fetchRows(statement)
        }
    }

    /// ``query(_:_:)`` with the parameters inline: `query("SELECT ... WHERE id = ?", id)`.
    public func query(_ sql: String, _ parameters: any SQLEncodable...) throws(SQLError) -> [SQLRow] {
        try query(sql, parameters.map(\.sqlValue))
    }

    /// Runs one statement with `parameters` bound to its `?` placeholders and returns what it changed.
    /// A result set, if the statement has one, is read and dropped.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> SQLExecution {
        try withStatement(sql, parameters) { statement throws(SQLError) in
            _ = try MariaDBStatement.fetchRows(statement)
            return SQLExecution(affectedRows: mysql_stmt_affected_rows(statement), lastInsertID: mysql_stmt_insert_id(statement))
        }
    }

    /// ``execute(_:_:)`` with the parameters inline.
    @discardableResult
    public func execute(_ sql: String, _ parameters: any SQLEncodable...) throws(SQLError) -> SQLExecution {
        try execute(sql, parameters.map(\.sqlValue))
    }

    /// Prepares (or reuses) `sql`, binds, executes, hands the statement to `body`, frees its result.
    /// A statement that failed is closed and forgotten (it may need re-preparing, or the connection
    /// may be gone).
    private func withStatement<T>(_ sql: String, _ parameters: [SQLValue],
                                  _ body: (UnsafeMutablePointer<MYSQL_STMT>) throws(SQLError) -> T) throws(SQLError) -> T {
        let statement = try tracking { () throws(SQLError) in try prepared(sql) }
        do {
            try MariaDBStatement.execute(statement, parameters)
            let value = try body(statement)
            mysql_stmt_free_result(statement)
            return value
        } catch {
            statements[sql] = nil
            mysql_stmt_close(statement)
            if error.isClientError { isBroken = true }
            throw error
        }
    }

    private func prepared(_ sql: String) throws(SQLError) -> UnsafeMutablePointer<MYSQL_STMT> {
        if let statement = statements[sql] { return statement }
        guard let statement = mysql_stmt_init(handle) else { throw Self.error(handle, stage: .query) }
        let failed = sql.utf8CString.withUnsafeBufferPointer { text in
            mysql_stmt_prepare(statement, text.baseAddress, UInt(text.count - 1)) != 0
        }
        if failed {
            let error = MariaDBStatement.error(statement)
            mysql_stmt_close(statement)
            throw error
        }
        if statements.count >= Self.statementCacheLimit {
            for old in statements.values { mysql_stmt_close(old) }
            statements = [:]
        }
        statements[sql] = statement
        return statement
    }

    // MARK: - Text protocol

    /// Runs one statement without parameters over the text protocol (one round trip) and returns
    /// its rows; every value is ``SQLValue/string(_:)`` (as the server prints it) or ``SQLValue/null``.
    /// For `SHOW` and other statements whose values need no types. Never put a value into `sql`:
    /// use ``query(_:_:)``.
    public func textQuery(_ sql: String) throws(SQLError) -> [SQLRow] {
        try tracking { () throws(SQLError) in try textRows(sql) }
    }

    private func textRows(_ sql: String) throws(SQLError) -> [SQLRow] {
        try send(sql)
        guard let result = mysql_store_result(handle) else {
            // No result set (an UPDATE, say), or an error while reading it.
            if mysql_errno(handle) != 0 { throw Self.error(handle, stage: .query) }
            return []
        }
        defer { mysql_free_result(result) }
        let count = Int(mysql_num_fields(result))
        let fields = mysql_fetch_fields(result)
        let columns = SQLColumns((0..<count).map { index in fields.map { String(cString: $0[index].name) } ?? "" })
        var rows: [SQLRow] = []
        while let row = mysql_fetch_row(result), let lengths = mysql_fetch_lengths(result) {
            let values = (0..<count).map { index -> SQLValue in
                guard let pointer = row[index] else { return .null }
                return .string(MariaDBStatement.text(pointer, length: Int(lengths[index])))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        guard mysql_errno(handle) == 0 else { throw Self.error(handle, stage: .query) }
        return rows
    }

    /// Runs one statement without parameters and without a result (`SET`, DDL, `COMMIT`) over the
    /// text protocol.
    public func run(_ sql: String) throws(SQLError) {
        try tracking { () throws(SQLError) in
            try send(sql)
            if let result = mysql_store_result(handle) { mysql_free_result(result) }
            guard mysql_errno(handle) == 0 else { throw Self.error(handle, stage: .query) }
        }
    }

    /// Runs `body`; a client error it throws marks the connection ``isBroken``.
    private func tracking<T>(_ body: () throws(SQLError) -> T) throws(SQLError) -> T {
        do {
            return try body()
        } catch {
            if error.isClientError { isBroken = true }
            throw error
        }
    }

    private func send(_ sql: String) throws(SQLError) {
        var sql = sql
        let sent = sql.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
        }
        guard sent == 0 else { throw Self.error(handle, stage: .query) }
    }

    // MARK: - Transactions

    /// `START TRANSACTION`.
    public func begin() throws(SQLError) {
        try run("START TRANSACTION")
        inTransaction = true
    }

    /// `COMMIT`. A commit the server refuses (a Galera certification conflict, a deadlock) throws,
    /// and the transaction is rolled back by the server.
    public func commit() throws(SQLError) {
        inTransaction = false
        try run("COMMIT")
    }

    /// `ROLLBACK`.
    public func rollback() throws(SQLError) {
        inTransaction = false
        try run("ROLLBACK")
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it (or the commit)
    /// throws, and rethrows that error (a failed rollback is not reported over it: the server rolls
    /// back an unfinished transaction when its connection closes).
    ///
    /// ```swift
    /// let epoch = try connection.transaction { db in
    ///     let rows = try db.query("SELECT epoch FROM lease WHERE name = ? FOR UPDATE", name)
    ///     let next = try rows[0].decode("epoch", as: UInt64.self) + 1
    ///     try db.execute("UPDATE lease SET epoch = ?, holder = ? WHERE name = ?", next, me, name)
    ///     return next
    /// }
    /// ```
    public func transaction<T>(_ body: (MariaDBConnection) throws -> T) throws -> T {
        try begin()
        do {
            let value = try body(self)
            try commit()
            return value
        } catch {
            try? rollback()
            throw error
        }
    }

    // MARK: - Setup and errors

    private func setOptions() {
        var seconds = target.librarySeconds
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &seconds)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &seconds)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &seconds)
        // Reconnecting is the owner's to do (with a fresh password read): a silent reconnect would
        // also drop a transaction in the middle.
        var reconnect: my_bool = 0
        mysql_options(handle, MYSQL_OPT_RECONNECT, &reconnect)
        var protocolType = UInt32(target.endpoint.isSocket ? MYSQL_PROTOCOL_SOCKET.rawValue : MYSQL_PROTOCOL_TCP.rawValue)
        mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolType)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        if target.utcSession { mysql_options(handle, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'") }
    }

    static func error(_ handle: UnsafeMutablePointer<MYSQL>, stage: SQLError.Stage) -> SQLError {
        let code = mysql_errno(handle)
        let message = String(cString: mysql_error(handle))
        let state = String(cString: mysql_sqlstate(handle))
        return SQLError(stage: stage, code: code, sqlState: state, message: message.isEmpty ? "unknown error" : message)
    }
}
