import Foundation

/// Signals for a server a test started, with SIGSTOP made synchronous: `kill` only queues the stop,
/// each thread enters state `T` when it next runs, and on a loaded machine a request sent in that
/// window is still answered (seen: a RabbitMQ probe passing 500 ms after SIGSTOP).
public enum ProcessStop {
    /// Sends `number` to `pid`. For SIGSTOP, returns once every thread of it is stopped (state `T` in
    /// /proc), bounded by `bound`; whether it got there.
    @discardableResult
    public static func signal(_ pid: pid_t, _ number: Int32, bound: Duration = .seconds(5)) -> Bool {
        guard pid > 0 else { return false }
        kill(pid, number)
        guard number == SIGSTOP else { return true }
        let deadline = ContinuousClock.now + bound
        while !allThreadsStopped(pid) {
            guard ContinuousClock.now < deadline else { return false }
            usleep(1_000)
        }
        return true
    }

    /// Every thread of `pid` is in state `T` (stopped).
    public static func allThreadsStopped(_ pid: pid_t) -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        guard !tasks.isEmpty else { return false }
        return tasks.allSatisfy { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // "pid (comm) S ...": the state follows the command name's closing parenthesis.
            return stat[close...].dropFirst(2).first == "T"
        }
    }
}
