import HACore

/// Wire forms of the takeover announcements: pure values, no I/O.
enum AnnouncementPacket {
    static let arpRequest: UInt16 = 1
    static let neighborAdvertisementType: UInt8 = 136
    static let routerFlag: UInt8 = 0x80
    static let solicitedFlag: UInt8 = 0x40
    static let overrideFlag: UInt8 = 0x20
    static let targetLinkLayerOption: UInt8 = 2

    /// A 28-byte gratuitous ARP in request form, as keepalived sends it: sender and target IP are
    /// both the VIP, sender MAC is ours, target MAC is broadcast. Requests are used rather than
    /// replies because every stack updates an existing cache entry from a request.
    static func gratuitousARP(senderMAC: [UInt8], address: UInt32) -> [UInt8] {
        precondition(senderMAC.count == 6, "an Ethernet MAC has 6 bytes")
        let ip = IPAddress.v4(address).bytes
        var packet: [UInt8] = []
        packet.reserveCapacity(28)
        packet += [0x00, 0x01]                 // hardware type: Ethernet
        packet += [0x08, 0x00]                 // protocol type: IPv4
        packet += [6, 4]                       // hardware and protocol address lengths
        packet += [UInt8(arpRequest >> 8), UInt8(arpRequest & 0xFF)]
        packet += senderMAC + ip
        packet += [UInt8](repeating: 0xFF, count: 6) + ip
        return packet
    }

    /// A 32-byte unsolicited ICMPv6 Neighbour Advertisement for `target` (RFC 4861 §7.2.6):
    /// Solicited clear, Override set, Router as the interface forwards, and the target
    /// link-layer address option. The checksum is left zero: the kernel fills it for
    /// raw ICMPv6 sockets.
    static func unsolicitedNA(target: UInt128, mac: [UInt8], router: Bool) -> [UInt8] {
        precondition(mac.count == 6, "an Ethernet MAC has 6 bytes")
        var packet: [UInt8] = []
        packet.reserveCapacity(32)
        packet += [neighborAdvertisementType, 0, 0, 0]   // type, code, checksum
        packet += [overrideFlag | (router ? routerFlag : 0), 0, 0, 0]
        packet += IPAddress.v6(target).bytes
        packet += [targetLinkLayerOption, 1]             // option length in units of 8 bytes
        packet += mac
        return packet
    }
}
