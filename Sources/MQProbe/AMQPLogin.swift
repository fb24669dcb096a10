import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// `amqp_login` with SASL PLAIN.
///
/// `amqp_login` is a C variadic function (the SASL method's arguments follow `...`), and Swift does
/// not import variadic C functions. We call it through a non-variadic prototype of the exact
/// arguments PLAIN takes. Invariant that makes this correct: on the Linux ABIs we build for
/// (x86-64 System V and AAPCS64), variadic pointer arguments are passed exactly like named ones; the
/// x86-64 `%al` register (vector-register count for variadic callees) is only an upper bound the
/// callee's prologue uses to save registers, so any value is safe when no floating-point argument is
/// passed. Not valid on Apple arm64 (variadics on the stack), hence the `#if os(Linux)`.
/// A C shim (`static inline` wrapper in CRabbitMQ's `shim.h`) would remove the need for this.
enum AMQPLogin {
    private typealias PlainLogin = @convention(c) (
        amqp_connection_state_t?, UnsafePointer<CChar>?, Int32, Int32, Int32, amqp_sasl_method_enum,
        UnsafePointer<CChar>?, UnsafePointer<CChar>?
    ) -> amqp_rpc_reply_t

    /// Resolved once; librabbitmq is linked into the process, so the default namespace has it.
    private static let function: PlainLogin? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "amqp_login") else { return nil }
        return unsafeBitCast(symbol, to: PlainLogin.self)
        #else
        return nil
        #endif
    }()

    /// Logs in with `AMQP_SASL_METHOD_PLAIN`, no heartbeats, the library's default frame and channel
    /// limits. Blocking, bounded by the connection's handshake timeout.
    static func plain(_ state: amqp_connection_state_t, vhost: String, user: String, password: String) -> amqp_rpc_reply_t {
        guard let function else {
            var reply = amqp_rpc_reply_t()
            reply.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION
            reply.library_error = AMQP_STATUS_UNSUPPORTED.rawValue
            return reply
        }
        return function(state, vhost, 0, 131_072, 0, AMQP_SASL_METHOD_PLAIN, user, password)
    }
}
