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
    /// Where `grastate.dat` lives, for full-outage recovery. Default `/var/lib/mysql`.
    public var datadir: String
    /// How long a new writer choice must hold before HAProxy is moved to it. Default 30s.
    public var writerHoldDown: Duration
    /// Shell command that starts the local server (`start_command`). Default `systemctl start mariadb`.
    public var startCommand: String
    /// Shell command that stops it (`stop_command`). Default `systemctl stop mariadb`.
    public var stopCommand: String
    /// Shell command that bootstraps a new cluster from this node (`bootstrap_command`). Default `galera_new_cluster`.
    public var bootstrapCommand: String

    public init(
        user: String, passwordFile: String, port: Int = 3306, socket: String? = nil,
        interval: Duration = .seconds(1), timeout: Duration = .seconds(2), availableWhenDonor: Bool = false,
        availableWhenReadonly: Bool = false, datadir: String = "/var/lib/mysql",
        writerHoldDown: Duration = .seconds(30), startCommand: String = "systemctl start mariadb",
        stopCommand: String = "systemctl stop mariadb", bootstrapCommand: String = "galera_new_cluster"
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
    }
}
