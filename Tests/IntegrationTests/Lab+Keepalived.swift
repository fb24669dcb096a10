import Foundation
import HACore
import Testing

/// keepalived 2.2.7 as a VRRP peer in a lab node, and the views a VRRP test needs: who holds an
/// address, what an agent's `GET /v1/vip` says, which state keepalived last logged.
extension Lab {
    /// Writes `config` to `$RUN/<node>-<name>.conf` and starts keepalived in NODE's namespace
    /// (`lab.sh keepalived`, which waits until its VRRP child is up). Throws with the log tail if it dies.
    func startKeepalived(_ node: String, config: String, name: String) throws {
        let path = "\(run)/\(node)-\(name).conf"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        try check([Lab.script, "keepalived", node, path])
    }

    /// `lab.sh stop-keepalived NODE SIG`: TERM waits for a clean exit (priority-0 advert, VIPs removed);
    /// KILL takes the whole process group down and leaves the VIP on the interface.
    func stopKeepalived(_ node: String, signal: String = "TERM") throws {
        try check([Lab.script, "stop-keepalived", node, signal])
    }

    /// The IPv4 addresses (`a.b.c.d/len`) on NODE's eth0.
    func addresses(_ node: String) throws -> [String] {
        let out = try check(["ip", "-n", ns(node), "-o", "-4", "addr", "show", "dev", "eth0"])
        return out.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let inet = fields.firstIndex(of: "inet"), inet + 1 < fields.count else { return nil }
            return String(fields[inet + 1])
        }
    }

    /// The nodes among `nodes` that have `address` (with any prefix length) on eth0, in order.
    func holders(of address: String, among nodes: [String] = ["ctl1", "ctl2", "ctl3"]) throws -> [String] {
        try nodes.filter { node in try addresses(node).contains { $0.hasPrefix(address + "/") } }
    }

    /// Polls for `duration` (every 100 ms) and returns the first holder set that differs from
    /// `expected`, or nil when it held throughout: exactly-one-holder is a property over time.
    func holderDeviation(of address: String, expected: [String], among nodes: [String] = ["ctl1", "ctl2", "ctl3"],
                         for duration: Duration) throws -> [String]? {
        let deadline = ContinuousClock.now + duration
        repeat {
            let now = try holders(of: address, among: nodes)
            if now != expected { return now }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < deadline
        return nil
    }

    /// `GET /v1/vip` of the agent at `address`, from the client namespace; nil if it does not answer 200.
    func vipStatus(_ address: String, vip: String = "public") throws -> VIPStatus? {
        let answer = try curl(["http://\(address):9780/v1/vip"])
        guard answer.code == 200 else { return nil }
        let all = try JSONDecoder().decode([VIPStatus].self, from: Data(answer.body.utf8))
        return all.first { $0.name == vip }
    }

    /// The state keepalived on NODE last logged for `instance` since its latest start
    /// (`MASTER`, `BACKUP`, `FAULT`), or nil before the first one.
    func keepalivedState(_ node: String, instance: String = "public") -> String? {
        guard let log = try? String(contentsOfFile: "\(run)/\(node)/keepalived.log", encoding: .utf8) else { return nil }
        let sinceStart = log.components(separatedBy: "lab.sh: starting").last ?? log
        var state: String?
        for line in sinceStart.split(separator: "\n") where line.contains("(\(instance)) Entering ") {
            if let range = line.range(of: "Entering ") {
                state = line[range.upperBound...].split(separator: " ").first.map(String.init)
            }
        }
        return state
    }

    /// What a failed expectation needs to be understood: holders, each agent's VIP view, and the
    /// latest lines of keepalived's and the agents' logs.
    func vrrpDiagnostics(address: String = "198.18.0.10", keepalivedNode: String = "ctl3") -> String {
        var lines: [String] = []
        lines.append("holders of \(address): \((try? holders(of: address)) ?? [])")
        for (node, ip) in [("ctl1", "198.18.0.11"), ("ctl2", "198.18.0.12")] {
            let status = (try? curl(["http://\(ip):9780/v1/vip"]))?.body ?? "?"
            lines.append("\(node) /v1/vip: \(status)")
        }
        for file in ["\(keepalivedNode)/keepalived.log", "ctl1/agent.log", "ctl2/agent.log"] {
            let text = (try? String(contentsOfFile: "\(run)/\(file)", encoding: .utf8)) ?? ""
            lines.append("--- \(file) (last 15 lines)")
            lines.append(contentsOf: text.split(separator: "\n").suffix(15).map(String.init))
        }
        return lines.joined(separator: "\n")
    }
}

/// keepalived.conf text for one VRRP instance named `public` on eth0 holding 198.18.0.10/24.
enum KeepalivedConf {
    /// - version: 3 adds `vrrp_version 3` to global_defs (needed for sub-second `advert_int`);
    ///   2 is keepalived's default.
    /// - authPass: VRRPv2 `authentication { auth_type PASS auth_pass ... }` (keepalived uses 8 bytes).
    /// - nopreempt: only where a test means it (keepalived then needs `state BACKUP`, which is always used).
    static func instance(version: Int, vrid: Int = 51, priority: Int, advertInt: String,
                         authPass: String? = nil, nopreempt: Bool = false) -> String {
        var text = """
            global_defs {
                router_id lab-keepalived
            \(version == 3 ? "    vrrp_version 3\n" : "")}
            vrrp_instance public {
                state BACKUP
                interface eth0
                virtual_router_id \(vrid)
                priority \(priority)
                advert_int \(advertInt)

            """
        if nopreempt { text += "    nopreempt\n" }
        if let authPass {
            text += """
                    authentication {
                        auth_type PASS
                        auth_pass \(authPass)
                    }

                """
        }
        text += """
                virtual_ipaddress {
                    198.18.0.10/24 dev eth0
                }
            }

            """
        return text
    }
}

/// A client pinging an address every 2 ms from the client namespace, in the background, recording
/// receive timestamps (`ping -D`): the client-visible outage of a failover or handover.
struct ClientPinger {
    let pid: Int32
    let file: String

    /// The longest gap between consecutive replies, the echo requests that got no reply between the
    /// first and the last answered one, and duplicate replies (two holders answering at once).
    struct Result: CustomStringConvertible {
        var replies: Int
        var longestGapMs: Double
        var lost: Int
        var duplicates: Int
        var description: String { "\(replies) replies, longest gap \(longestGapMs) ms, \(lost) lost, \(duplicates) duplicates" }
    }

    /// Starts `ping` (bounded by `deadline` seconds, so it never outlives a crashed test).
    static func start(_ lab: Lab, address: String, deadline: Int = 60) throws -> ClientPinger {
        let file = "\(lab.run)/ping-\(UUID().uuidString).txt"
        let out = try lab.check(["bash", "-c",
            "ip netns exec \"$1\" stdbuf -oL ping -n -D -O -i 0.002 -W 1 -w \(deadline) \"$2\" </dev/null >\"$3\" 2>&1 & echo $!",
            "ping", lab.ns("client"), address, file])
        guard let pid = Int32(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LabError.command("ping", out)
        }
        return ClientPinger(pid: pid, file: file)
    }

    /// Stops the ping (SIGINT, waiting up to 3 s for it to write its last lines) and evaluates it.
    func stop() -> Result {
        kill(pid, SIGINT)
        let deadline = ContinuousClock.now + .seconds(3)
        while kill(pid, 0) == 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        defer { unlink(file) }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var previous: Double?, longest = 0.0, seen = Set<Int>(), duplicates = 0
        for line in text.split(separator: "\n") where line.contains("bytes from") {
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]"),
                  let time = Double(line[line.index(after: line.startIndex)..<close]),
                  let seqRange = line.range(of: "icmp_seq="),
                  let seq = Int(line[seqRange.upperBound...].prefix { $0.isNumber }) else { continue }
            if line.contains("DUP!") { duplicates += 1; continue }
            if let previous { longest = max(longest, time - previous) }
            previous = time
            seen.insert(seq)
        }
        let lost = seen.isEmpty ? 0 : seen.max()! - seen.min()! + 1 - seen.count
        return Result(replies: seen.count, longestGapMs: (longest * 10_000).rounded() / 10, lost: lost, duplicates: duplicates)
    }
}
