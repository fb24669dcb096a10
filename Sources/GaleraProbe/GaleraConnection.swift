import CMariaDB
import HACore

/// Where and how the probe connects: the local node over TCP (controller address + port) or a unix
/// socket, with libmariadb's own timeouts.
public struct GaleraTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    public var endpoint: Endpoint
    public var user: String
    /// Read (and checked) on every connect, so a rotated password is picked up by the next reconnect.
    public var passwordFile: String
    /// `MYSQL_OPT_CONNECT_TIMEOUT`, `_READ_TIMEOUT` and `_WRITE_TIMEOUT`, in whole seconds (>= 1).
    public var librarySeconds: UInt32

    public init(endpoint: Endpoint, user: String, passwordFile: String, librarySeconds: UInt32) {
        self.endpoint = endpoint
        self.user = user
        self.passwordFile = passwordFile
        self.librarySeconds = max(1, librarySeconds)
    }

    /// The target for `config` on the node whose controller address is `address`: the socket when the
    /// config names one, else TCP to `address`:`port`. Library timeouts are `timeout` rounded up to
    /// whole seconds (Connector/C has no finer unit; the probe's outer deadline is exact).
    public init(config: GaleraConfig, address: IPAddress) {
        let endpoint: Endpoint = config.socket.map { .socket(path: $0) } ?? .tcp(host: address.description, port: config.port)
        self.init(endpoint: endpoint, user: config.user, passwordFile: config.passwordFile,
                  librarySeconds: Self.wholeSeconds(config.timeout))
    }

    /// `duration` rounded up to whole seconds, at least 1.
    public static func wholeSeconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return UInt32(clamping: max(1, rounded))
    }

    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): host.contains(":") ? "\(user)@[\(host)]:\(port)" : "\(user)@\(host):\(port)"
        case .socket(let path): "\(user)@\(path)"
        }
    }
}

/// One open session with the node, able to read a ``GaleraStatus``. Confined to the thread that
/// opened it; closed when released.
protocol GaleraSession: AnyObject {
    /// Runs the status and variables queries; blocking, bounded by the library timeouts.
    func readStatus() throws(GaleraError) -> GaleraStatus
}

/// A libmariadb connection (`MYSQL *`): blocking calls, bounded by the library timeouts.
///
/// Threading: not Sendable. Created, used and released on one dedicated thread (``GaleraWorker``),
/// as libmariadb requires of a connection.
final class MariaDBConnection: GaleraSession {
    private let handle: UnsafeMutablePointer<MYSQL>

    /// libmariadb's global state, set up once before any connection (`mysql_init` would do it lazily,
    /// but not thread-safely). It also sets SIGPIPE to SIG_IGN for the whole process.
    /// (`mysql_library_init` is a C macro for `mysql_server_init`.)
    private static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    /// Connects and authenticates; blocking.
    init(target: GaleraTarget) throws(GaleraError) {
        guard Self.libraryReady, let handle = mysql_init(nil) else {
            throw GaleraError(stage: .connect, code: 2008, message: "mysql_init failed (out of memory)")
        }
        // From here on a throw runs deinit, which closes the handle.
        self.handle = handle
        let password: String
        do { password = try SecretFile.read(target.passwordFile) } catch {
            throw GaleraError(stage: .password, message: error.message)
        }
        setOptions(target)
        let connected: UnsafeMutablePointer<MYSQL>?
        switch target.endpoint {
        case .tcp(let host, let port):
            connected = mysql_real_connect(handle, host, target.user, password, nil, UInt32(clamping: port), nil, 0)
        case .socket(let path):
            connected = mysql_real_connect(handle, nil, target.user, password, nil, 0, path, 0)
        }
        guard connected != nil else { throw Self.error(handle, stage: .connect) }
    }

    deinit {
        // COM_QUIT is one small write into the socket buffer: it does not block even on a hung server.
        mysql_close(handle)
    }

    func readStatus() throws(GaleraError) -> GaleraStatus {
        let status = try rows(GaleraStatus.statusQuery)
        let variables = try rows(GaleraStatus.variablesQuery)
        return GaleraStatus(statusRows: status, variableRows: variables)
    }

    /// Runs one statement and returns its first two columns as (name, value) rows.
    func rows(_ sql: String) throws(GaleraError) -> [(name: String, value: String)] {
        var sql = sql
        let sent = sql.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
        }
        guard sent == 0 else { throw Self.error(handle, stage: .query) }
        guard let result = mysql_store_result(handle) else { throw Self.error(handle, stage: .query) }
        defer { mysql_free_result(result) }
        guard mysql_num_fields(result) >= 2 else { return [] }
        var rows: [(name: String, value: String)] = []
        while let row = mysql_fetch_row(result), let lengths = mysql_fetch_lengths(result) {
            rows.append((Self.text(row[0], length: lengths[0]), Self.text(row[1], length: lengths[1])))
        }
        guard mysql_errno(handle) == 0 else { throw Self.error(handle, stage: .query) }
        return rows
    }

    private func setOptions(_ target: GaleraTarget) {
        var seconds = target.librarySeconds
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &seconds)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &seconds)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &seconds)
        // Reconnecting is ours to do (on the worker thread, with a fresh password read).
        var reconnect: my_bool = 0
        mysql_options(handle, MYSQL_OPT_RECONNECT, &reconnect)
        var protocolType = UInt32(target.endpoint.isSocket ? MYSQL_PROTOCOL_SOCKET.rawValue : MYSQL_PROTOCOL_TCP.rawValue)
        mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolType)
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?, length: UInt) -> String {
        guard let pointer else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
        }
    }

    private static func error(_ handle: UnsafeMutablePointer<MYSQL>, stage: GaleraError.Stage) -> GaleraError {
        let code = mysql_errno(handle)
        let message = String(cString: mysql_error(handle))
        let state = String(cString: mysql_sqlstate(handle))
        return GaleraError(stage: stage, code: code, sqlState: state,
                           message: message.isEmpty ? "unknown error" : message)
    }
}

extension GaleraTarget.Endpoint {
    var isSocket: Bool {
        if case .socket = self { return true }
        return false
    }
}
