/// What one `RTM_NEWLINK` / `RTM_DELLINK` (or one backstop `RTM_GETLINK`) says about an interface,
/// as far as link tracking needs it.
struct LinkEvent: Equatable, Sendable {
    enum Kind: Equatable, Sendable { case new, deleted }

    var kind: Kind
    var index: Int32
    var name: String
    /// `IFF_*` flags (`IFF_RUNNING` reflects carrier and operational state).
    var flags: UInt32
    /// `IFLA_CARRIER_CHANGES`: the kernel counts every carrier down and up, so two readings that are
    /// both "up" but differ prove a flap in between, however short. Nil when the kernel omits it.
    var carrierChanges: UInt32?

    /// Up as the VIP needs it: administratively up and running.
    var isUp: Bool { flags & Self.iffUp != 0 && flags & Self.iffRunning != 0 }

    static let iffUp: UInt32 = 0x1        // IFF_UP
    static let iffRunning: UInt32 = 0x40  // IFF_RUNNING
}

/// Follows the VIP interfaces from link events and backstop readings, and says what changed. Pure:
/// `observe` maps one event to the changes, in order, that the engine applies (link down puts the
/// VIPs of that interface in Fault, link up takes them out, recreated re-opens the VRRP socket).
///
/// - A down followed by an up (two events read in one batch) gives `.down` then `.up`: the flap is a
///   fault, however short. An up reading whose carrier counter moved since the last up reading gives
///   `.down, .up` too, so a flap the kernel folded into one event, or one that happened between two
///   backstop polls, is not lost.
/// - A reading older than what we know (a carrier counter behind ours, same index) is ignored: a
///   queued event read after a fresher poll must not fake a flap.
/// - The same name with a new index is a recreated interface: `.down` (if it was up), `.recreated`,
///   then `.up` if the new one is up. A delete, or a rename away from the name, is `.down`.
/// - Before the first reading an interface counts as up (the engine starts as Backup anyway).
struct LinkTracker: Equatable, Sendable {
    enum Change: Equatable, Sendable {
        case down(String)
        case up(String)
        case recreated(String, index: Int32)
    }

    struct Link: Equatable, Sendable {
        /// The last index seen under this name (kept while the interface is absent).
        var index: Int32
        var present: Bool
        var up: Bool
        var carrierChanges: UInt32?

        var effectiveUp: Bool { present && up }
    }

    let watched: Set<String>
    private(set) var links: [String: Link] = [:]

    init(watching names: some Sequence<String>) {
        watched = Set(names)
    }

    /// Up as far as we know (true before the first reading).
    func isUp(_ name: String) -> Bool { links[name]?.effectiveUp ?? true }

    /// The current index of `name`, nil when unknown or absent.
    func index(of name: String) -> Int32? {
        guard let link = links[name], link.present else { return nil }
        return link.index
    }

    mutating func observe(_ event: LinkEvent) -> [Change] {
        guard watched.contains(event.name) else {
            // A watched interface renamed to something else is gone under its name.
            if event.kind == .new,
               let renamed = links.first(where: { $0.value.present && $0.value.index == event.index })?.key {
                return observeAbsent(renamed)
            }
            return []
        }
        let name = event.name
        let previous = links[name]
        switch event.kind {
        case .deleted:
            guard previous.map({ $0.index == event.index }) ?? true else { return [] }   // an older device
            return observeAbsent(name, index: event.index)
        case .new:
            let up = event.isUp
            let next = Link(index: event.index, present: true, up: up, carrierChanges: event.carrierChanges)
            guard let previous else {
                links[name] = next
                return up ? [] : [.down(name)]
            }
            if previous.index != event.index {
                links[name] = next
                return (previous.effectiveUp ? [.down(name)] : []) + [.recreated(name, index: event.index)] + (up ? [.up(name)] : [])
            }
            if previous.present, let old = previous.carrierChanges, let new = event.carrierChanges,
               Int32(bitPattern: new &- old) < 0 {
                return []   // stale: older than what we already know
            }
            links[name] = next
            switch (previous.effectiveUp, up) {
            case (true, false): return [.down(name)]
            case (false, true): return [.up(name)]
            case (true, true):
                let flapped = previous.carrierChanges.map { old in event.carrierChanges.map { $0 != old } ?? false } ?? false
                return flapped ? [.down(name), .up(name)] : []
            case (false, false): return []
            }
        }
    }

    /// `name` is not there (a backstop reading found no such interface).
    mutating func observeAbsent(_ name: String) -> [Change] {
        observeAbsent(name, index: nil)
    }

    private mutating func observeAbsent(_ name: String, index: Int32?) -> [Change] {
        guard watched.contains(name) else { return [] }
        let previous = links[name]
        let wasUp = previous?.effectiveUp ?? true
        links[name] = Link(index: index ?? previous?.index ?? 0, present: false, up: false, carrierChanges: nil)
        return wasUp ? [.down(name)] : []
    }
}

/// Parses netlink route datagrams into link events. Pure and bounded: a malformed or truncated
/// message ends the parse of its datagram, nothing traps.
enum LinkMessageParser {
    static let newLink: UInt16 = 16      // RTM_NEWLINK
    static let deleteLink: UInt16 = 17   // RTM_DELLINK
    static let headerLength = 16         // struct nlmsghdr
    static let infoLength = 16           // struct ifinfomsg
    static let attributeName: UInt16 = 3             // IFLA_IFNAME
    static let attributeCarrierChanges: UInt16 = 35  // IFLA_CARRIER_CHANGES

    static func parse(_ bytes: some Collection<UInt8>) -> [LinkEvent] {
        let data = Array(bytes)
        var events: [LinkEvent] = []
        var offset = 0
        while offset + headerLength <= data.count {
            let length = Int(u32(data, offset))
            let type = u16(data, offset + 4)
            guard length >= headerLength, length <= data.count - offset else { break }
            if (type == newLink || type == deleteLink), let event = link(data, from: offset + headerLength, to: offset + length, deleted: type == deleteLink) {
                events.append(event)
            }
            offset += align(length)
        }
        return events
    }

    private static func link(_ data: [UInt8], from start: Int, to end: Int, deleted: Bool) -> LinkEvent? {
        guard start + infoLength <= end else { return nil }
        let index = Int32(bitPattern: u32(data, start + 4))
        let flags = u32(data, start + 8)
        var name: String?
        var carrierChanges: UInt32?
        var offset = start + infoLength
        while offset + 4 <= end {
            let length = Int(u16(data, offset))
            let type = u16(data, offset + 2) & 0x3fff   // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
            guard length >= 4, offset + length <= end else { break }
            let payload = data[(offset + 4)..<(offset + length)]
            switch type {
            case attributeName:
                name = String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
            case attributeCarrierChanges where payload.count >= 4:
                carrierChanges = u32(data, offset + 4)
            default:
                break
            }
            offset += align(length)
        }
        guard let name, !name.isEmpty else { return nil }
        return LinkEvent(kind: deleted ? .deleted : .new, index: index, name: name, flags: flags, carrierChanges: carrierChanges)
    }

    static func align(_ length: Int) -> Int { (length + 3) & ~3 }

    /// Host byte order (netlink is native-endian; this runs on little-endian Linux).
    private static func u16(_ data: [UInt8], _ at: Int) -> UInt16 {
        UInt16(data[at]) | UInt16(data[at + 1]) << 8
    }

    private static func u32(_ data: [UInt8], _ at: Int) -> UInt32 {
        UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
    }
}
