#ifndef HACTL_CRABBITMQ_SHIM_H
#define HACTL_CRABBITMQ_SHIM_H

// rabbitmq-c 0.11: MQProbe's AMQP round trip.
#include <amqp.h>
#include <amqp_tcp_socket.h>

// amqp_login is variadic (the SASL method's arguments follow `...`) and Swift does not import
// variadic C functions: this fixed-argument wrapper for SASL PLAIN is what Swift calls.
static inline amqp_rpc_reply_t hactl_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                                      int channel_max, int frame_max, int heartbeat,
                                                      const char *user, const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

#endif
