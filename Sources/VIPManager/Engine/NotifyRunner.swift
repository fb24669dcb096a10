import Foundation
import HACore
import Logging

/// Runs a VIP's notify command on a transition without ever blocking the engine: started through
/// `Subprocess`, reaped on a detached thread, killed after its timeout. The command runs SCHED_OTHER
/// (not the engine thread's SCHED_RR) in a process group of its own, and the timeout kills that whole
/// group, so whatever the script started in the background dies with it.
enum NotifyRunner {
    static func run(command: String, arguments: [String], timeout: Duration, logger: Logger) {
        let pid: pid_t
        do { pid = try Subprocess.spawn([command] + arguments, ownProcessGroup: true) } catch {
            logger.warning("notify command could not start", metadata: ["vip.notify": .string(command), "error": .string(error.description)])
            return
        }
        Thread.detachNewThread {
            switch Subprocess.wait(pid, timeout: timeout) {
            case nil:
                logger.warning("notify command killed after its timeout", metadata: ["vip.notify": .string(command)])
            case let status? where status != 0:
                logger.warning("notify command failed", metadata: ["vip.notify": .string(command), "exit.status": .stringConvertible(status)])
            default:
                break
            }
        }
    }
}

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
