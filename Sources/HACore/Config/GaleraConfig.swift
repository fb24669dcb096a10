import Foundation

/// The `galera:` section: probe the local MariaDB Galera node and serve its health.
public struct GaleraConfig: Sendable, Equatable {
    public var user: String
    /// Absolute path of the file holding the password.
    public var passwordFile: String
    /// TCP port on this node's controller address. Default 3306.
    public var port: Int
    /// Unix socket path to use instead of TCP for the local probe, or nil.
    public var socket: String?
    /// Default 1s.
    public var interval: Duration
    /// Default 2s.
    public var timeout: Duration
    /// A Donor/Desynced node still answers 200 (`available_when_donor`). Default false.
    public var availableWhenDonor: Bool
    /// A `read_only` node still answers 200 (`available_when_readonly`). Default false.
    public var availableWhenReadonly: Bool
    /// Where `grastate.dat` lives, for full-outage recovery. Default `/var/lib/mysql`. A relative path
    /// is resolved against the config file's directory; `{node}` stands for this node's name (see
    /// ``datadir(on:)``).
    public var datadir: String
    /// How long a new writer choice must hold before HAProxy is moved to it. Default 30s.
    public var writerHoldDown: Duration
    /// Shell command that starts the local server (`start_command`). Default `systemctl start mariadb`.
    public var startCommand: String
    /// Shell command that stops it (`stop_command`). Default `systemctl stop mariadb`.
    public var stopCommand: String
    /// Shell command that bootstraps a new cluster from this node (`bootstrap_command`). Default `galera_new_cluster`.
    public var bootstrapCommand: String
    /// Shell command that prints the position of a crashed, stopped server (`recover_command`), as
    /// `mariadbd --wsrep-recover` (`Recovered position: UUID:SEQNO`) or Debian's `galera_recovery`
    /// (`--wsrep_start_position=UUID:SEQNO`) do. Default `galera_recovery`.
    public var recoverCommand: String

    public init(
        user: String, passwordFile: String, port: Int = 3306, socket: String? = nil,
        interval: Duration = .seconds(1), timeout: Duration = .seconds(2), availableWhenDonor: Bool = false,
        availableWhenReadonly: Bool = false, datadir: String = "/var/lib/mysql",
        writerHoldDown: Duration = .seconds(30), startCommand: String = "systemctl start mariadb",
        stopCommand: String = "systemctl stop mariadb", bootstrapCommand: String = "galera_new_cluster",
        recoverCommand: String = "galera_recovery"
    ) {
        self.user = user
        self.passwordFile = passwordFile
        self.port = port
        self.socket = socket
        self.interval = interval
        self.timeout = timeout
        self.availableWhenDonor = availableWhenDonor
        self.availableWhenReadonly = availableWhenReadonly
        self.datadir = datadir
        self.writerHoldDown = writerHoldDown
        self.startCommand = startCommand
        self.stopCommand = stopCommand
        self.bootstrapCommand = bootstrapCommand
        self.recoverCommand = recoverCommand
    }

    /// The placeholder for the node's name in `datadir` and the commands: one config file serves
    /// nodes whose paths differ (the lab runs three servers on one machine).
    public static let nodePlaceholder = "{node}"

    /// `datadir` on `node`.
    public func datadir(on node: String) -> String {
        datadir.replacingOccurrences(of: Self.nodePlaceholder, with: node)
    }

    /// A command with `{node}` replaced by `node`.
    public static func command(_ command: String, on node: String) -> String {
        command.replacingOccurrences(of: nodePlaceholder, with: node)
    }
}
