/// A probe that could not read the node's status, with the raw cause.
///
/// `description` is the one-line health reason: `connect: <mysql error> (errno N)`,
/// `query: <mysql error> (errno N)`, or `password: <secret file problem>`. It never contains the
/// password.
public struct GaleraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which step failed.
    public enum Stage: String, Sendable, Equatable {
        /// Reading the password file.
        case password
        /// `mysql_real_connect` (including the handshake and authentication).
        case connect
        /// One of the `SHOW` statements.
        case query
    }

    public var stage: Stage
    /// `mysql_errno` (client errors 2000-2999, server errors below), or 0 when MariaDB was not involved.
    public var code: UInt32
    /// `mysql_sqlstate`, e.g. `28000` for access denied; `HY000` when the server gave none.
    public var sqlState: String
    /// `mysql_error`, or the secret file's problem for `.password`.
    public var message: String

    public init(stage: Stage, code: UInt32 = 0, sqlState: String = "HY000", message: String) {
        self.stage = stage
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        switch stage {
        case .password: "password: \(message)"
        case .connect, .query: "\(stage.rawValue): \(message) (errno \(code))"
        }
    }

    /// A client-side error (`CR_*`, 2000-2999): the connection itself is in doubt (lost, timed out,
    /// refused), as opposed to a server that answered with an error.
    public var isClientError: Bool { (2000..<3000).contains(code) }
}
