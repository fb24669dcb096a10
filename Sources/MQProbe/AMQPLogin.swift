import CRabbitMQ

/// `amqp_login` with SASL PLAIN, through the C wrapper in CRabbitMQ's shim (`amqp_login` itself is
/// variadic, which Swift does not import).
enum AMQPLogin {
    /// Logs in with `AMQP_SASL_METHOD_PLAIN`, no heartbeats, the library's default frame and channel
    /// limits. Blocking, bounded by the connection's handshake timeout.
    static func plain(_ state: amqp_connection_state_t, vhost: String, user: String, password: String) -> amqp_rpc_reply_t {
        hactl_amqp_login_plain(state, vhost, 0, 131_072, 0, user, password)
    }
}
