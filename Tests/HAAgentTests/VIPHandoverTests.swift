@testable import HAAgent
import HACore
import Testing

/// The pure parts of the loss-free handover at stop/drain: whom to ask first, and how long to wait
/// for a successor.
@Suite("VIP handover: order and timeouts")
struct VIPHandoverTests {
    static let controllers = ["ctl1", "ctl2", "ctl3", "ctl4"].enumerated().map {
        Controller(name: $0.element, address: .v4(0xC612_0001 + UInt32($0.offset)))
    }

    @Test("peers are asked in descending configured priority, config order among equals, never ourselves")
    func peerOrder() throws {
        let vip = VIPConfig(name: "public", vrid: 51, interface: "eth0", addresses: [try #require(IPNetwork("198.18.0.100/24"))],
                            priorities: ["ctl1": 150, "ctl2": 100, "ctl3": 120, "ctl4": 100])
        let order = VIPHandover.peerOrder(vip, controllers: Self.controllers, node: "ctl1").map(\.name)
        #expect(order == ["ctl3", "ctl2", "ctl4"])
        #expect(VIPHandover.peerOrder(vip, controllers: Self.controllers, node: "ctl3").map(\.name) == ["ctl1", "ctl2", "ctl4"])
    }

    @Test("the release wait covers a keepalived backup's Master_Down timer, at least 2 s")
    func releaseTimeout() {
        #expect(VIPHandover.releaseTimeout(advertInterval: .milliseconds(100)) == .seconds(2))
        #expect(VIPHandover.releaseTimeout(advertInterval: .seconds(1)) == .milliseconds(4500))
    }
}
