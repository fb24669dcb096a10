/// The `rabbitmq:` section: probe the local broker and serve its health.
public struct RabbitMQConfig: Sendable, Equatable {
    public var amqp: AMQPSettings
    public var management: ManagementSettings
    /// Erlang node name (`node_name`); nil means `rabbit@<controller name>`.
    public var nodeName: String?
    /// Default 2s.
    public var interval: Duration
    /// Default 2s.
    public var timeout: Duration

    public init(
        amqp: AMQPSettings, management: ManagementSettings = ManagementSettings(), nodeName: String? = nil,
        interval: Duration = .seconds(2), timeout: Duration = .seconds(2)
    ) {
        self.amqp = amqp
        self.management = management
        self.nodeName = nodeName
        self.interval = interval
        self.timeout = timeout
    }

    /// The node name to probe on a given controller.
    public func nodeName(on controller: String) -> String {
        nodeName ?? "rabbit@\(controller)"
    }
}

/// `rabbitmq.amqp`: the publish/consume round trip.
public struct AMQPSettings: Sendable, Equatable {
    /// Default 5672.
    public var port: Int
    public var user: String
    /// Absolute path of the file holding the password.
    public var passwordFile: String
    /// Default `/`.
    public var vhost: String

    public init(port: Int = 5672, user: String, passwordFile: String, vhost: String = "/") {
        self.port = port
        self.user = user
        self.passwordFile = passwordFile
        self.vhost = vhost
    }
}

/// `rabbitmq.management`: the HTTP management API.
public struct ManagementSettings: Sendable, Equatable {
    /// Default 15672.
    public var port: Int
    /// nil: the AMQP user.
    public var user: String?
    /// nil: the AMQP password file.
    public var passwordFile: String?

    public init(port: Int = 15672, user: String? = nil, passwordFile: String? = nil) {
        self.port = port
        self.user = user
        self.passwordFile = passwordFile
    }
}
