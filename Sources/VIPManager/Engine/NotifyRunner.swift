import Foundation
import Logging

/// Runs a VIP's notify command on a transition without ever blocking the engine: spawned with
/// posix_spawn, reaped on a detached thread, killed (SIGKILL) after its timeout.
enum NotifyRunner {
    static func run(command: String, arguments: [String], timeout: Duration, logger: Logger) {
        var pid: pid_t = 0
        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The agent's threads block signals for their own handling; the child must not inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let rc = posix_spawn(&pid, command, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            logger.warning("notify command could not start", metadata: ["vip.notify": .string(command), "error": .string(String(cString: strerror(rc)))])
            return
        }
        let started = ContinuousClock.now
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while true {
                let r = waitpid(child, &status, WNOHANG)
                if r == child || (r < 0 && errno != EINTR) { break }
                if ContinuousClock.now - started > timeout {
                    kill(child, SIGKILL)
                    _ = waitpid(child, &status, 0)
                    logger.warning("notify command killed after its timeout", metadata: ["vip.notify": .string(command)])
                    return
                }
                usleep(10_000)
            }
            if status != 0 {
                logger.warning("notify command failed", metadata: ["vip.notify": .string(command), "exit.status": .stringConvertible(status)])
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
