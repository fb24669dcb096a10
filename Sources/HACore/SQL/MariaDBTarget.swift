/// Where and how a ``MariaDBConnection`` connects: TCP (host + port) or a unix socket, the user, the
/// password file, the default database, and libmariadb's own timeouts.
///
/// The password is never held here: it is read from `passwordFile` (through ``SecretFile``, which
/// checks the file's owner and mode) on every connect, so a rotated password is picked up by the next
/// reconnect, and it never appears in ``description`` or in errors.
public struct MariaDBTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)

        public var isSocket: Bool {
            if case .socket = self { return true }
            return false
        }
    }

    public var endpoint: Endpoint
    public var user: String
    /// Read (and checked) on every connect.
    public var passwordFile: String
    /// The default database (`USE`), nil for none.
    public var database: String?
    /// `MYSQL_OPT_CONNECT_TIMEOUT`, `_READ_TIMEOUT` and `_WRITE_TIMEOUT`, in whole seconds (>= 1).
    /// Connector/C has no finer unit; callers also enforce an exact deadline outside the library
    /// (``MariaDBClient``), so a hung server cannot hold a caller longer than that.
    public var librarySeconds: UInt32
    /// Sets the session's `time_zone` to UTC at connect (`MYSQL_INIT_COMMAND`), so `TIMESTAMP`
    /// columns and `NOW()` agree with the UTC ``SQLValue/date(_:)`` values. Off: the server's zone,
    /// and no statement beyond the handshake.
    public var utcSession: Bool

    public init(endpoint: Endpoint, user: String, passwordFile: String, database: String? = nil,
                librarySeconds: UInt32, utcSession: Bool = true) {
        self.endpoint = endpoint
        self.user = user
        self.passwordFile = passwordFile
        self.database = database
        self.librarySeconds = max(1, librarySeconds)
        self.utcSession = utcSession
    }

    /// `duration` rounded up to whole seconds, at least 1 (the library timeouts' unit).
    public static func wholeSeconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return UInt32(clamping: max(1, rounded))
    }

    /// `user@host:port`, `user@[v6]:port` or `user@/path/to.sock`; never the password.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): host.contains(":") ? "\(user)@[\(host)]:\(port)" : "\(user)@\(host):\(port)"
        case .socket(let path): "\(user)@\(path)"
        }
    }
}
