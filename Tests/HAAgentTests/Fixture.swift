import Foundation
@testable import HAAgent
import HACore
import Logging
import Prometheus

/// A temporary directory with a secret and a config, and an AgentContext on a ManualClock.
struct Fixture {
    let dir: String
    let context: AgentContext
    let clock: ManualClock
    let secret = "fixture-secret-0123456789abcdef0123456789abcdef" // 32 bytes or more (cluster secret minimum)
    var now: Int64 = 1_795_000_000

    init(checks: String = "", drained: Bool = false, extra: String = "",
         modules: [ModuleFactory] = ModuleRegistry.standard, logger: Logger = Logger(label: "test")) throws {
        dir = NSTemporaryDirectory() + "hactl-agent-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["cluster.key", "galera.pass"] {
            try secret.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            chmod(dir + "/" + file, 0o600)
        }
        let yaml = """
            cluster: { name: test, secret_file: cluster.key, api_port: 9780, agent_check_port: 9781 }
            controllers:
              ctl1: { address: 127.0.0.1 }
              ctl2: { address: 127.0.0.2 }
            \(checks)
            \(extra)
            """
        try yaml.write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        let config = try ClusterConfig.load(path: dir + "/cluster.yaml")
        clock = ManualClock()
        context = try AgentContext(config: config, node: config.controllers[0], stateDirectory: dir + "/state",
                                   registry: PrometheusCollectorRegistry(), http: HTTPClient(threads: 1), clock: clock, logger: logger,
                                   wallClock: ManualWallClock(now: WallTime(secondsSinceEpoch: now)), modules: modules)
        if drained { try context.nodeState.setDrained(true) }
    }

    /// An `Authorization` value for a call to `node` (default: this fixture's ctl1) of `cluster`.
    func signed(_ path: String, body: [UInt8] = [], method: String = "POST", node: String = "ctl1", cluster: String = "test",
                nonce: String = RequestSigner.makeNonce()) -> String {
        RequestSigner(secret: Array(secret.utf8)).sign(method: method, path: path, body: body, node: node, cluster: cluster,
                                                       unixTime: now, nonce: nonce)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }
}
