import HACore
import Testing
@testable import VIPManager

/// Byte-exact wire forms, no kernel needed.
struct AnnouncementPacketTests {
    static let mac: [UInt8] = [0x02, 0x48, 0x41, 0xC8, 0x00, 0x01]

    @Test func gratuitousARPIsARequestWithSenderEqualTarget() {
        let packet = AnnouncementPacket.gratuitousARP(senderMAC: Self.mac, address: 0xC612_C80A)
        #expect(packet == [
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
            0x02, 0x48, 0x41, 0xC8, 0x00, 0x01, 0xC6, 0x12, 0xC8, 0x0A,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC6, 0x12, 0xC8, 0x0A,
        ])
    }

    @Test(arguments: [(false, UInt8(0x20)), (true, UInt8(0xA0))])
    func unsolicitedNACarriesOverrideAndTargetLinkLayerAddress(router: Bool, flags: UInt8) {
        guard case .v6(let target) = IPAddress("2001:2:0:c8::10")! else { return }
        let packet = AnnouncementPacket.unsolicitedNA(target: target, mac: Self.mac, router: router)
        #expect(packet == [
            136, 0, 0, 0, flags, 0, 0, 0,
            0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0xC8, 0, 0, 0, 0, 0, 0, 0, 0x10,
            2, 1, 0x02, 0x48, 0x41, 0xC8, 0x00, 0x01,
        ])
    }
}
