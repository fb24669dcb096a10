import HACore

/// Where and how the probe connects: HACore's ``MariaDBTarget`` (the local node over TCP, controller
/// address + port, or a unix socket, with libmariadb's own timeouts).
public typealias GaleraTarget = MariaDBTarget

extension MariaDBTarget {
    /// The probe's target for `config` on the node whose controller address is `address`: the socket
    /// when the config names one, else TCP to `address`:`port`. Library timeouts are `timeout` rounded
    /// up to whole seconds, plus one (Connector/C has no finer unit). The probe's outer deadline is
    /// exact and always decides ("probe timeout after Ns"); the library timeout is only the backstop
    /// that frees the abandoned worker afterwards. With the two equal, a loaded machine let the
    /// library answer first ("connect: Lost connection ...") and the reported reason depended on
    /// scheduling. No database and no init command: a probe is the handshake and two `SHOW` statements.
    public init(config: GaleraConfig, address: IPAddress) {
        let endpoint: Endpoint = config.socket.map { .socket(path: $0) } ?? .tcp(host: address.description, port: config.port)
        self.init(endpoint: endpoint, user: config.user, passwordFile: config.passwordFile,
                  librarySeconds: Self.wholeSeconds(config.timeout + .seconds(1)), utcSession: false)
    }
}

/// One open session with the node, able to read a ``GaleraStatus``. Confined to the thread that
/// opened it; closed when released.
protocol GaleraSession: AnyObject {
    /// Runs the status and variables queries; blocking, bounded by the library timeouts.
    func readStatus() throws(GaleraError) -> GaleraStatus
}

/// The probe's session: a HACore ``MariaDBConnection``, confined to the probe's worker thread.
extension MariaDBConnection: GaleraSession {
    func readStatus() throws(GaleraError) -> GaleraStatus {
        let status = try rows(GaleraStatus.statusQuery)
        let variables = try rows(GaleraStatus.variablesQuery)
        return GaleraStatus(statusRows: status, variableRows: variables)
    }

    /// Runs one statement (text protocol: one round trip) and returns its first two columns as
    /// (name, value) rows; NULL reads as "".
    func rows(_ sql: String) throws(GaleraError) -> [(name: String, value: String)] {
        let rows = try textQuery(sql)
        guard let first = rows.first, first.values.count >= 2 else { return [] }
        return rows.map { row in (Self.text(row.values[0]), Self.text(row.values[1])) }
    }

    private static func text(_ value: SQLValue) -> String {
        if case .string(let text) = value { return text }
        return ""
    }
}
