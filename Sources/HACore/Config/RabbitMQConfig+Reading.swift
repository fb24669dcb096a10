extension ConfigReader {
    func readRabbitMQ(_ value: ConfigValue) -> RabbitMQConfig? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["amqp", "management", "node_name", "interval", "timeout"])
        let amqp = map.required("amqp", readAMQP)
        let management = map.optional("management", readManagement) ?? ManagementSettings()
        let nodeName = map.optional("node_name", erlangNodeName)
        let interval = map.optional("interval", positiveDuration) ?? .seconds(2)
        let timeout = map.optional("timeout", positiveDuration) ?? .seconds(2)
        guard let amqp else { return nil }
        return RabbitMQConfig(amqp: amqp, management: management, nodeName: nodeName, interval: interval, timeout: timeout)
    }

    private func readAMQP(_ value: ConfigValue) -> AMQPSettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["port", "user", "password_file", "vhost"])
        let port = map.optional("port", self.port) ?? 5672
        let user = map.required("user", string)
        let password = map.required("password_file", secretFile)
        let vhost = map.optional("vhost", string) ?? "/"
        guard let user, let password else { return nil }
        return AMQPSettings(port: port, user: user, passwordFile: password, vhost: vhost)
    }

    private func readManagement(_ value: ConfigValue) -> ManagementSettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["port", "user", "password_file"])
        return ManagementSettings(
            port: map.optional("port", port) ?? 15672,
            user: map.optional("user", string),
            passwordFile: map.optional("password_file", secretFile)
        )
    }

    /// `NAME@HOST`.
    private func erlangNodeName(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !text.contains(where: \.isWhitespace) else {
            report(value, "node_name must look like NAME@HOST (e.g. rabbit@ctl1), got \(configQuote(text))")
            return nil
        }
        return text
    }
}
