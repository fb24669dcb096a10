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
