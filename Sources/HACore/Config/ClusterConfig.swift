#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole cluster as described by `/etc/hactl/cluster.yaml`: identical on every node.
///
/// A plain value: load it once, share it freely. Loading validates everything (types, ranges,
/// cross references, secret file modes) and reports every problem at once as `ConfigErrors`.
public struct ClusterConfig: Sendable, Equatable {
    /// Absolute path of the file it was loaded from.
    public var path: String

    /// The directory of ``path``: relative paths in the file are resolved against it, and configured
    /// commands run in it.
    public var directory: String { ConfigPath.directory(of: path) }
    public var cluster: ClusterSettings
    /// The nodes that run `hactl agent`, in file order.
    public var controllers: [Controller]
    /// In file order.
    public var vips: [VIPConfig]
    /// Local checks, in file order.
    public var checks: [CheckConfig]
    /// `nil`: the section is absent and the Galera module is off.
    public var galera: GaleraConfig?
    /// `nil`: the section is absent and the RabbitMQ module is off.
    public var rabbitmq: RabbitMQConfig?
    /// `nil`: the section is absent and compute HA is off.
    public var compute: ComputeConfig?
    /// Where things sat in the file, for errors found after loading.
    var locations = SourceLocations()

    public init(
        path: String, cluster: ClusterSettings, controllers: [Controller], vips: [VIPConfig] = [],
        checks: [CheckConfig] = [], galera: GaleraConfig? = nil, rabbitmq: RabbitMQConfig? = nil,
        compute: ComputeConfig? = nil
    ) {
        self.path = path
        self.cluster = cluster
        self.controllers = controllers
        self.vips = vips
        self.checks = checks
        self.galera = galera
        self.rabbitmq = rabbitmq
        self.compute = compute
    }

    /// The controller with this name, if any.
    public func controller(named name: String) -> Controller? {
        controllers.first { $0.name == name }
    }

    /// Reads and validates a config file. Synchronous file I/O; call it at start-up or from a CLI.
    ///
    /// Errors name `path` as given; `ClusterConfig.path` is made absolute.
    public static func load(path: String) throws(ConfigErrors) -> ClusterConfig {
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let error):
            throw ConfigErrors([ConfigError(file: path, line: 1, column: 1, message: error.message)])
        }
        return try parse(text, path: path)
    }

    /// Validates YAML text as if it had been read from `path`.
    ///
    /// `path` is used in messages and to resolve relative `*_file` paths (against its directory).
    /// Secret files are checked on disk (existence, regular file, mode), so this touches the file system.
    public static func parse(_ yaml: String, path: String) throws(ConfigErrors) -> ClusterConfig {
        let reader = ConfigReader(file: path, absolutePath: ConfigPath.absolute(path))
        let config = reader.readClusterConfig(yaml)
        guard let config, reader.errors.isEmpty else {
            assert(!reader.errors.isEmpty, "config rejected without a reason")
            throw ConfigErrors(reader.errors.isEmpty
                ? [ConfigError(file: path, line: 1, column: 1, message: "internal error: config rejected without a reason")]
                : reader.errors)
        }
        return config
    }

    private struct ReadFailure: Error {
        var message: String
    }

    private static func readFile(_ path: String) -> Result<String, ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(ReadFailure(message: "cannot read the config file: \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        let data: [UInt8]
        do throws(SystemCallError) {
            data = try Syscall.readToEnd(fd, call: "read").bytes
        } catch {
            return .failure(ReadFailure(message: "cannot read the config file: \(error.message)"))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(ReadFailure(message: "the config file is not valid UTF-8"))
        }
        return .success(text)
    }
}

/// The `cluster:` section.
public struct ClusterSettings: Sendable, Equatable {
    public var name: String
    /// Absolute path of the file holding the cluster secret (signs agent calls and heartbeats).
    public var secretFile: String
    /// The agent HTTP API port (health endpoints, status, admin, metrics). Default 9780.
    public var apiPort: Int
    /// The HAProxy agent-check TCP port. Default 9781.
    public var agentCheckPort: Int
    /// Where the API and the agent-check server listen. Default: the node's controller address.
    public var listenAddress: ListenAddress

    public init(name: String, secretFile: String, apiPort: Int = 9780, agentCheckPort: Int = 9781,
                listenAddress: ListenAddress = .controller) {
        self.name = name
        self.secretFile = secretFile
        self.apiPort = apiPort
        self.agentCheckPort = agentCheckPort
        self.listenAddress = listenAddress
    }
}

/// `cluster.listen_address`: `controller` (the node's own controller address) or an IP address
/// (the same on every node, so in practice a wildcard such as `0.0.0.0` or `::`, or a loopback).
public enum ListenAddress: Sendable, Equatable, Hashable {
    case controller
    case address(IPAddress)

    /// The address to bind on `node`.
    public func resolved(for node: Controller) -> IPAddress {
        switch self {
        case .controller: node.address
        case .address(let address): address
        }
    }
}

/// A node that runs `hactl agent`.
public struct Controller: Sendable, Equatable, Hashable {
    public var name: String
    /// The address other agents, HAProxy and unicast VRRP reach it on.
    public var address: IPAddress
    /// One address per network that compute heartbeats travel (management, storage...), in the
    /// same order as every compute host's `addresses`; empty when not configured.
    public var networkAddresses: [IPAddress]

    public init(name: String, address: IPAddress, networkAddresses: [IPAddress] = []) {
        self.name = name
        self.address = address
        self.networkAddresses = networkAddresses
    }
}

/// Source positions kept for errors raised after loading (node identity).
///
/// Not part of equality: two configs with the same content are equal wherever their keys sat.
struct SourceLocations: Sendable, Equatable {
    var controllers = SourcePosition(line: 1, column: 1)

    static func == (_: SourceLocations, _: SourceLocations) -> Bool { true }
}

/// A 1-based line and column in the config file.
struct SourcePosition: Sendable, Equatable, Hashable {
    var line: Int
    var column: Int
}

/// Path arithmetic without touching the file system (no symlink resolution).
enum ConfigPath {
    /// `path` made absolute against the current directory, with `.` and `..` folded.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return normalized("/" + path) }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return normalized(cwd + "/" + path)
    }

    /// `path` if absolute, else `path` under `directory`; normalized either way.
    static func resolve(_ path: String, against directory: String) -> String {
        normalized(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// The directory part of an absolute path (`/` for `/x`).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
