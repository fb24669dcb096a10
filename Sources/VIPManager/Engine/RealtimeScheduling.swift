import Foundation
import HACore
import Logging

/// Asks for SCHED_RR on the calling thread (the VRRP engine's), as keepalived does with
/// `vrrp_rt_priority`: the thread sleeps almost always, but when a deadline comes it must run even
/// with both cores saturated. Without the privilege it logs and carries on.
enum RealtimeScheduling {
    static let priority: Int32 = 10

    static func request(logger: Logger) {
        var param = sched_param()
        param.sched_priority = priority
        let rc = pthread_setschedparam(pthread_self(), SCHED_RR, &param)
        if rc != 0 {
            logger.info("VRRP thread runs without real-time priority", metadata: ["error": .string(String(cString: strerror(rc)))])
        }
    }
}
