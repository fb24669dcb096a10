import Foundation
import HACore

/// RabbitMQ helpers: the three-node cluster of lab.d/rabbitmq.sh and the agents' endpoint.
extension Lab {
    /// The lab config with a `rabbitmq:` section (password file from rabbitmq-up, in the run dir).
    static func rabbitConfig(interval: String = "1s", timeout: String = "2s") -> String {
        """
        cluster:
          name: rabbit-it
          secret_file: cluster.key
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
          ctl3: { address: 198.18.0.13 }
        rabbitmq:
          amqp: { port: 5672, user: hactl, password_file: rabbit.pass, vhost: / }
          management: { port: 15672 }
          interval: \(interval)
          timeout: \(timeout)

        """
    }

    /// Up with RabbitMQ: namespaces, the three brokers clustered, then the agents.
    static func rabbitUp(name: String = "rabbit") throws -> Lab {
        let lab = try Lab.up(configBody: Lab.defaultConfig, name: name)
        do {
            try lab.check([Lab.script, "rabbitmq-up"])
            try Lab.rabbitConfig().write(toFile: lab.config, atomically: true, encoding: .utf8)
            try lab.agents()
        } catch {
            lab.down()
            throw error
        }
        return lab
    }

    func rabbitHealth(_ node: String) throws -> (code: Int, body: String) {
        try curl(["http://\(Lab.controllerAddress[node]!):9780/health/rabbitmq"])
    }

    @discardableResult
    func rabbitmqctl(_ node: String, _ args: [String]) throws -> Output {
        try check([Lab.script, "rabbitmqctl", node] + args)
    }
}
