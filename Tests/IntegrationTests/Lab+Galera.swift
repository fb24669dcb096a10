import Foundation
import HACore

/// Galera helpers: the three-node cluster and HAProxy of lab.d/galera.sh and lab.d/haproxy.sh, the
/// agents' Galera endpoints, and writes through HAProxy's writer frontend.
extension Lab {
    /// HAProxy's frontends in the client namespace.
    static let writerFrontend = (host: "198.18.0.100", port: 3306)

    /// The lab config with a `galera:` section whose datadir and commands are the lab's per-node ones
    /// (relative to the run directory, where the config lives).
    static func galeraConfig(holdDown: String = "5s", extra: String = "") -> String {
        """
        cluster:
          name: galera-it
          secret_file: cluster.key
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
          ctl3: { address: 198.18.0.13 }
        galera:
          user: hactl
          password_file: galera.pass
          interval: 1s
          timeout: 2s
          writer_hold_down: \(holdDown)
          datadir: "{node}/galera/data"
          start_command: "{node}/galera/ctl start"
          stop_command: "{node}/galera/ctl stop"
          bootstrap_command: "{node}/galera/ctl bootstrap"
          recover_command: "{node}/galera/ctl recover"
        \(extra)

        """
    }

    /// Up with Galera: namespaces, the cluster (Synced, users created), then HAProxy and the agents.
    /// The config's password file is the one galera-up creates, so the config is written after it.
    static func galeraUp(configBody: String = Lab.galeraConfig(), name: String = "galera",
                         prefix: String = ProcessInfo.processInfo.environment["LAB_PREFIX"] ?? "") throws -> Lab {
        let lab = try Lab.up(configBody: Lab.defaultConfig, prefix: prefix, name: name)
        do {
            try lab.check([Lab.script, "galera-up"])
            try configBody.write(toFile: lab.config, atomically: true, encoding: .utf8)
            try lab.check([Lab.script, "haproxy-up"])
            try lab.agents()
        } catch {
            lab.down()
            throw error
        }
        return lab
    }

    /// HTTP status and body of a Galera endpoint on one node (from the client namespace).
    func galeraHealth(_ node: String, writer: Bool = false) throws -> (code: Int, body: String) {
        try curl(["http://\(Lab.controllerAddress[node]!):9780/health/galera" + (writer ? "/writer" : "")])
    }

    /// The nodes whose `/health/galera/writer` answers 200.
    func writers() throws -> [String] {
        try ["ctl1", "ctl2", "ctl3"].filter { try galeraHealth($0, writer: true).code == 200 }
    }

    /// SQL as root over the node's socket (lab.sh galera-sql); the output, trimmed.
    @discardableResult
    func sql(_ node: String, _ statement: String) throws -> String {
        try check([Lab.script, "galera-sql", node, statement]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One INSERT through HAProxy's writer frontend as the `app` user; true when it committed.
    func writeThroughHAProxy(_ tag: String) throws -> Bool {
        let password = try String(contentsOfFile: run + "/app.pass", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let out = try sh(["ip", "netns", "exec", ns("client"), "mariadb", "-h", Lab.writerFrontend.host,
                          "-P", String(Lab.writerFrontend.port), "-u", "app", "--password=\(password)",
                          "--connect-timeout=2", "labdb", "-e", "INSERT INTO writes (node) VALUES ('\(tag)')"])
        return out.code == 0
    }

    /// Rows in labdb.writes as one node sees them.
    func rowCount(_ node: String, tag: String? = nil) throws -> Int {
        let filter = tag.map { " WHERE node = '\($0)'" } ?? ""
        return Int(try sql(node, "SELECT COUNT(*) FROM labdb.writes\(filter)")) ?? -1
    }

    /// `wsrep_cluster_status` / `wsrep_local_state_comment` of a node through its agent's report.
    func galeraReport(_ node: String) throws -> [String: Any]? {
        let r = try curl(["http://\(Lab.controllerAddress[node]!):9780/v1/galera"])
        guard r.code == 200 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
    }

    /// The time one request to a node's endpoint takes, in milliseconds (curl's own measure).
    func endpointLatencyMs(_ node: String, path: String = "/health/galera") throws -> Double {
        let out = try sh(["ip", "netns", "exec", ns("client"), "curl", "-s", "-o", "/dev/null", "-m", "5",
                          "-w", "%{time_total}", "http://\(Lab.controllerAddress[node]!):9780\(path)"])
        return (Double(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99) * 1000
    }
}
