import Foundation
import HACore
import Testing
@testable import ComputeHA

/// The fence runner with the real fence_ipmilan against the compute lab's ipmi_sim BMCs. Needs a
/// running compute lab and this test process inside a controller's namespace:
///
///     LAB_PREFIX=cl- RUN=/tmp/cl-run examples/three-controller/lab.sh up && ... compute-up
///     HACTL_FENCE_LAB=/tmp/cl-run ip netns exec cl-ctl1 .build/debug/hactlPackageTests.xctest \
///         --testing-library swift-testing --filter FenceLabTests
///
/// The integration suite drives the same path through `hactl compute fence` once the module's driver
/// exists; until then this is how the runner is checked against a real BMC (docs/compute.md).
@Suite("Fence runner against the lab's BMC (fence_ipmilan, ipmi_sim)",
       .enabled(if: ProcessInfo.processInfo.environment["HACTL_FENCE_LAB"] != nil,
                "needs HACTL_FENCE_LAB=<the compute lab's RUN dir> and a controller namespace"))
struct FenceLabTests {
    static var run: String { ProcessInfo.processInfo.environment["HACTL_FENCE_LAB"] ?? "" }

    static func runner(password: String? = nil) -> FenceRunner {
        FenceRunner(host: "compute3", config: FenceConfig(
            agent: "fence_ipmilan", passwordFile: password ?? run + "/secrets/bmc.pass",
            parameters: [KeyValue(key: "ip", value: "198.18.2.23"), KeyValue(key: "username", value: "admin"),
                         KeyValue(key: "lanplus", value: "1"), KeyValue(key: "cipher", value: "3"),
                         KeyValue(key: "power_wait", value: "1")]),
            callTimeout: .seconds(20))
    }

    @Test("off confirmed by status, then on again; a wrong password fails without the password in the text")
    func realBMC() async throws {
        let runner = Self.runner()
        let started = ContinuousClock.now
        #expect(await runner.fence() == .confirmedOff)
        print("fence_ipmilan off + status OFF: \(ContinuousClock.now - started)")
        #expect(await runner.power() == .off)
        let on = try await runner.call(.on)
        #expect(on.exitStatus == 0, "\(on.output)")
        #expect(await runner.power() == .on)

        let wrong = NSTemporaryDirectory() + "hactl-fence-wrong-\(UUID().uuidString)"
        try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        defer { unlink(wrong) }
        let outcome = await Self.runner(password: wrong).fence()
        guard case .failed(let text) = outcome else { Issue.record("\(outcome)"); return }
        print("wrong password: \(text)")
        #expect(!text.contains("not-the-password"))
    }
}
