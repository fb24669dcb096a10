/// The `compute:` section: watch compute hosts, fence failed ones and evacuate their instances.
public struct ComputeConfig: Sendable, Equatable {
    public var nova: NovaSettings
    public var detection: DetectionSettings
    public var recovery: RecoverySettings
    /// Monitored hosts, in file order.
    public var hosts: [ComputeHost]

    public init(
        nova: NovaSettings, detection: DetectionSettings = DetectionSettings(),
        recovery: RecoverySettings = RecoverySettings(), hosts: [ComputeHost]
    ) {
        self.nova = nova
        self.detection = detection
        self.recovery = recovery
        self.hosts = hosts
    }
}

/// `compute.nova`: Keystone credentials and the Nova API.
public struct NovaSettings: Sendable, Equatable {
    /// Keystone v3 URL (`auth_url`).
    public var authURL: String
    public var username: String
    /// Absolute path of the file holding the password.
    public var passwordFile: String
    public var project: String
    /// Default `Default`.
    public var userDomain: String
    /// Default `Default`.
    public var projectDomain: String
    /// Default `RegionOne`.
    public var region: String
    /// Nova microversion to request (`compute_api_version`). Default `2.93`.
    public var computeAPIVersion: String
    /// The catalog interface hactl calls (`interface`): `internal` (default), `public` or `admin`.
    public var interface: String

    public init(
        authURL: String, username: String, passwordFile: String, project: String, userDomain: String = "Default",
        projectDomain: String = "Default", region: String = "RegionOne", computeAPIVersion: String = "2.93",
        interface: String = "internal"
    ) {
        self.authURL = authURL
        self.username = username
        self.passwordFile = passwordFile
        self.project = project
        self.userDomain = userDomain
        self.projectDomain = projectDomain
        self.region = region
        self.computeAPIVersion = computeAPIVersion
        self.interface = interface
    }
}

/// `compute.detection`: host heartbeats.
public struct DetectionSettings: Sendable, Equatable {
    /// Default 1s.
    public var heartbeatInterval: Duration
    /// A host silent this long on every network is suspect. Greater than `heartbeatInterval`. Default 5s.
    public var failureTimeout: Duration
    /// Also ICMP echo to each address, for hosts that cannot run the agent. Default false.
    public var icmp: Bool
    /// More than this fraction of the hosts failed at once is a network problem, not the hosts:
    /// no automatic recovery. 0 < x <= 1, default 0.5.
    public var maxFailedFraction: Double

    public init(heartbeatInterval: Duration = .seconds(1), failureTimeout: Duration = .seconds(5), icmp: Bool = false,
                maxFailedFraction: Double = 0.5) {
        self.heartbeatInterval = heartbeatInterval
        self.failureTimeout = failureTimeout
        self.icmp = icmp
        self.maxFailedFraction = maxFailedFraction
    }
}

/// `compute.recovery`: what to do with a fenced host's instances.
public struct RecoverySettings: Sendable, Equatable {
    /// The recovery methods `method:` accepts (Masakari's names).
    public static let methods = ["auto", "reserved_host", "auto_priority", "rh_priority"]
    /// The values `instances:` accepts.
    public static let instanceSelections = ["ha_enabled", "all"]

    /// One of `methods`. Default `auto`.
    public var method: String
    /// Hosts kept free for evacuations (`reserved_host`, `rh_priority`).
    public var reservedHosts: [String]
    /// `ha_enabled` (default: instances with the HA_Enabled property) or `all`.
    public var instances: String
    /// Evacuations in flight at once, 1...64. Default 8.
    public var concurrency: Int
    /// Failures are recovered without an operator (`automatic`). Default true.
    public var automatic: Bool
    /// A fenced host that comes back is enabled again without an operator (`auto_enable`). Default false.
    public var autoEnable: Bool
    /// The values `error_instances:` accepts.
    public static let errorInstanceChoices = ["evacuate", "skip"]
    /// Servers in ERROR: `evacuate` (default) or `skip`.
    public var errorInstances: String
    /// How long fence attempts are retried before the recovery is fence_failed. Default 60s.
    public var fenceTimeout: Duration
    /// How long an accepted evacuation may take to settle elsewhere. Default 5m.
    public var evacuationTimeout: Duration

    public init(method: String = "auto", reservedHosts: [String] = [], instances: String = "ha_enabled",
                concurrency: Int = 8, automatic: Bool = true, autoEnable: Bool = false, errorInstances: String = "evacuate",
                fenceTimeout: Duration = .seconds(60), evacuationTimeout: Duration = .seconds(300)) {
        self.method = method
        self.reservedHosts = reservedHosts
        self.instances = instances
        self.concurrency = concurrency
        self.automatic = automatic
        self.autoEnable = autoEnable
        self.errorInstances = errorInstances
        self.fenceTimeout = fenceTimeout
        self.evacuationTimeout = evacuationTimeout
    }
}

/// A monitored compute host.
public struct ComputeHost: Sendable, Equatable {
    /// The Nova service host name.
    public var name: String
    /// Every address it is watched on (one per network).
    public var addresses: [IPAddress]
    public var fence: FenceConfig

    public init(name: String, addresses: [IPAddress], fence: FenceConfig) {
        self.name = name
        self.addresses = addresses
        self.fence = fence
    }
}

/// How to fence a host with a fence-agents program (stdin `key=value` protocol).
public struct FenceConfig: Sendable, Equatable {
    /// The fence agent: a program name (`fence_ipmilan`) or an absolute path.
    public var agent: String
    /// Absolute path of the file whose contents go to the agent as `password=`, or nil.
    public var passwordFile: String?
    /// Every other key, in file order, values as written (`lanplus: 1` -> `"1"`).
    public var parameters: [KeyValue]

    public init(agent: String, passwordFile: String? = nil, parameters: [KeyValue] = []) {
        self.agent = agent
        self.passwordFile = passwordFile
        self.parameters = parameters
    }
}

/// One ordered `key=value` pair.
public struct KeyValue: Sendable, Equatable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
