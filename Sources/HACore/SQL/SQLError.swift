/// A MariaDB call that failed, with the raw cause.
///
/// `description` is one line: `connect: <mysql error> (errno N)`, `query: <mysql error> (errno N)`,
/// `password: <secret file problem>`, `timeout: <what>`, `decode: <what>`. It never contains the
/// password, nor a parameter's or column's value (only their kinds and names).
public struct SQLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which step failed.
    public enum Stage: String, Sendable, Equatable {
        /// Reading the password file.
        case password
        /// `mysql_real_connect` (including the handshake and authentication).
        case connect
        /// Preparing, binding, executing or fetching a statement (transaction statements included).
        case query
        /// The call's outer deadline passed (the server did not answer in time), or earlier calls are
        /// still stuck in a hung server.
        case timeout
        /// A column could not be read as the asked type, or there is no such column.
        case decode
    }

    public var stage: Stage
    /// `mysql_errno` / `mysql_stmt_errno` (client errors 2000-2999, server errors below), or 0 when
    /// MariaDB was not involved.
    public var code: UInt32
    /// `mysql_sqlstate`, e.g. `28000` for access denied, `23000` for a duplicate key; `HY000` when
    /// the server gave none.
    public var sqlState: String
    /// `mysql_error`, or what went wrong outside MariaDB.
    public var message: String

    public init(stage: Stage, code: UInt32 = 0, sqlState: String = "HY000", message: String) {
        self.stage = stage
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        switch stage {
        case .connect, .query: "\(stage.rawValue): \(message) (errno \(code))"
        case .password, .timeout, .decode: "\(stage.rawValue): \(message)"
        }
    }

    /// A client-side error (`CR_*`, 2000-2999): the connection itself is in doubt (lost, timed out,
    /// refused), as opposed to a server that answered with an error.
    public var isClientError: Bool { (2000..<3000).contains(code) }

    /// The server refused a row for a duplicate key (`ER_DUP_ENTRY`, 1062).
    public var isDuplicateKey: Bool { code == 1062 }

    /// The server rolled the transaction back: a deadlock (1213), a lock wait timeout (1205), or a
    /// Galera certification conflict (also 1213). Retrying the whole transaction may succeed.
    public var isRetryableConflict: Bool { code == 1213 || code == 1205 }
}
