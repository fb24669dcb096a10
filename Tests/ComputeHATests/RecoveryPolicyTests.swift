import HACore
import Testing
@testable import ComputeHA

@Suite("Recovery policy: which instances move")
struct RecoveryPolicyTests {
    static func server(_ status: String = "ACTIVE", metadata: [String: String] = [:], properties: [String: String] = [:]) -> ServerView {
        ServerView(id: "x", host: "compute1", status: status, metadata: metadata, properties: properties)
    }

    @Test("instances: ha_enabled", arguments: [
        (["HA_Enabled": "True"], RecoveryPolicy.Choice.evacuate(.active)),
        (["ha_enabled": "true"], .evacuate(.active)),
        (["HA_ENABLED": " TRUE "], .evacuate(.active)),
        (["HA_Enabled": "False"], .skip("not HA-enabled (HA_Enabled is not True)")),
        ([:], .skip("not HA-enabled (HA_Enabled is not True)")),
        (["HA_Enabled": "True", "hactl:no_evacuate": "true"], .skip("opted out (hactl:no_evacuate)")),
    ])
    func haEnabled(metadata: [String: String], expected: RecoveryPolicy.Choice) {
        #expect(RecoveryPolicy().choose(Self.server(metadata: metadata)) == expected)
    }

    @Test("instances: all, with the opt-outs in metadata, flavor or image properties")
    func all() {
        let policy = RecoveryPolicy(selection: .all)
        #expect(policy.choose(Self.server()) == .evacuate(.active))
        #expect(policy.choose(Self.server(metadata: ["HA_Enabled": "false"])) == .skip("opted out (HA_Enabled=False)"))
        #expect(policy.choose(Self.server(properties: ["hactl:no_evacuate": "yes"])) == .skip("opted out (hactl:no_evacuate)"))
        #expect(policy.choose(Self.server(properties: ["hactl:no_evacuate": "no"])) == .evacuate(.active))
    }

    @Test("status decides the end state; ERROR per error_instances", arguments: [
        ("ACTIVE", RecoveryPolicy.ErrorInstances.evacuate, RecoveryPolicy.Choice.evacuate(.active)),
        ("SHUTOFF", .evacuate, .evacuate(.stopped)),
        ("ERROR", .evacuate, .evacuate(.settled)),
        ("ERROR", .skip, .skip("in ERROR (error_instances: skip)")),
        ("PAUSED", .evacuate, .evacuate(.settled)),
        ("SHELVED_OFFLOADED", .evacuate, .skip("SHELVED_OFFLOADED: nothing runs on the host")),
    ])
    func statuses(status: String, errors: RecoveryPolicy.ErrorInstances, expected: RecoveryPolicy.Choice) {
        let policy = RecoveryPolicy(selection: .all, errorInstances: errors)
        #expect(policy.choose(Self.server(status)) == expected)
    }

    @Test("bounds are clamped, never trapped on")
    func clamps() {
        let policy = RecoveryPolicy(concurrency: 0, stepAttempts: -3, maxAttempts: 0, maxDeferrals: -1)
        #expect(policy.concurrency == 1 && policy.stepAttempts == 1 && policy.maxAttempts == 1 && policy.maxDeferrals == 0)
        #expect(RecoveryPolicy(concurrency: 1000).concurrency == 64)
    }

    @Test("compute.recovery maps onto the policy; the Nova section's defaults")
    func fromConfig() {
        let settings = RecoverySettings(method: "rh_priority", reservedHosts: ["compute9"], instances: "all", concurrency: 3,
                                        errorInstances: "skip", fenceTimeout: .seconds(20), evacuationTimeout: .seconds(90))
        let policy = RecoveryPolicy(settings)
        #expect(policy.method == .rhPriority && policy.selection == .all && policy.reservedHosts == ["compute9"])
        #expect(policy.errorInstances == .skip && policy.concurrency == 3)
        #expect(policy.fenceTimeout == .seconds(20) && policy.evacuationTimeout == .seconds(90))
        #expect(RecoveryPolicy(RecoverySettings()) == RecoveryPolicy())
        let nova = NovaSettings(authURL: "http://198.18.0.30:5000/v3", username: "hactl", passwordFile: "/etc/hactl/nova.pass",
                                project: "service", region: "RegionTwo", interface: "public")
        #expect(nova.interface == "public" && nova.userDomain == "Default" && nova.computeAPIVersion == "2.93")
    }
}
