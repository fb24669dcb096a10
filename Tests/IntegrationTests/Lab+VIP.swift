import Foundation
import HACore

/// VIP helpers: who holds the address, a pinging client, the agents' VIP views.
extension Lab {
    static let vipAddress = "198.18.0.10"

    /// The nodes whose eth0 carries the VIP address right now.
    func holders(_ address: String = Lab.vipAddress) throws -> [String] {
        try ["ctl1", "ctl2", "ctl3"].filter { node in
            let out = try sh(["ip", "netns", "exec", ns(node), "ip", "-o", "-4", "addr", "show", "dev", "eth0"])
            return out.stdout.contains(" \(address)/")
        }
    }

    /// `GET /v1/vip` state of one VIP on one node ("master", "backup", ...), nil when unreachable.
    func vipState(_ node: String, _ vip: String = "public") throws -> String? {
        let address = Lab.controllerAddress[node]!
        let r = try curl(["http://\(address):9780/v1/vip"])
        guard r.code == 200, let list = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [[String: Any]] else { return nil }
        return list.first { $0["name"] as? String == vip }?["state"] as? String
    }

    /// Counters of one VIP on one node (`dropped` by reason, adverts).
    func vipJSON(_ node: String, _ vip: String = "public") throws -> [String: Any]? {
        let address = Lab.controllerAddress[node]!
        let r = try curl(["http://\(address):9780/v1/vip"])
        guard let list = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [[String: Any]] else { return nil }
        return list.first { $0["name"] as? String == vip }
    }

    /// Waits until exactly `node` holds the VIP address and says it is master.
    func waitForMaster(_ node: String, timeout: Duration = .seconds(10)) throws -> Bool {
        try eventually(timeout) { try holders() == [node] && vipState(node) == "master" }
    }

    /// A client pinging the VIP every 2 ms in the background; `finish()` returns (sent, received).
    func startPing(count: Int, address: String = Lab.vipAddress) throws -> BackgroundPing {
        let out = run + "/ping-\(UUID().uuidString).txt"
        let pid = try spawn(["ip", "netns", "exec", ns("client"), "ping", "-n", "-q", "-i", "0.002", "-W", "1", "-c", String(count), address], output: out)
        return BackgroundPing(pid: pid, output: out)
    }

    struct BackgroundPing {
        let pid: pid_t
        let output: String

        /// Waits for ping to end (it is bounded by its count) and parses its summary.
        func finish() -> (sent: Int, received: Int) {
            _ = Subprocess.wait(pid)
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.contains("packets transmitted") }) else { return (0, 0) }
            let numbers = line.split(separator: " ").compactMap { Int($0) }
            return (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
        }
    }

    /// Starts a process without waiting (stdout+stderr to `output`); the caller reaps it.
    func spawn(_ args: [String], output: String) throws -> pid_t {
        try Subprocess.spawn(args, environment: environment, stdout: output)
    }

    static func vipConfig(preempt: Bool = true, track: String = "", checks: String = "", advert: String = "100ms") -> String {
        """
        cluster:
          name: vip-it
          secret_file: cluster.key
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
          ctl3: { address: 198.18.0.13 }
        vips:
          - name: public
            vrid: 51
            interface: eth0
            addresses: [198.18.0.10/24]
            priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }
            advert_interval: \(advert)
            preempt: \(preempt)
        \(track)
        \(checks)

        """
    }
}
