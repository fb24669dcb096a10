import Testing
@testable import VIPManager

/// The pure half of link tracking: netlink datagrams -> events -> per-interface changes. No sockets,
/// no sleeping: the kernel's side is in `EngineLinkTests`.
@Suite("Link tracker")
struct LinkTrackerTests {
    static let up = LinkEvent.iffUp | LinkEvent.iffRunning
    static let adminUpNoCarrier = LinkEvent.iffUp

    static func new(_ name: String = "eth0", index: Int32 = 2, flags: UInt32 = up, carrier: UInt32? = 1) -> LinkEvent {
        LinkEvent(kind: .new, index: index, name: name, flags: flags, carrierChanges: carrier)
    }

    static func deleted(_ name: String = "eth0", index: Int32 = 2) -> LinkEvent {
        LinkEvent(kind: .deleted, index: index, name: name, flags: 0, carrierChanges: nil)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var events: [LinkEvent]
        /// Changes expected from the LAST event, after the others were observed.
        var expected: [LinkTracker.Change]
        var upAfter: Bool
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "first reading up: nothing (assumed up)", events: [new()], expected: [], upAfter: true),
        Row(name: "first reading down: down", events: [new(flags: adminUpNoCarrier)], expected: [.down("eth0")], upAfter: false),
        Row(name: "carrier lost", events: [new(), new(flags: adminUpNoCarrier, carrier: 2)], expected: [.down("eth0")], upAfter: false),
        Row(name: "admin down", events: [new(), new(flags: 0, carrier: 2)], expected: [.down("eth0")], upAfter: false),
        Row(name: "carrier back", events: [new(), new(flags: adminUpNoCarrier, carrier: 2), new(carrier: 3)],
            expected: [.up("eth0")], upAfter: true),
        Row(name: "up to up, counter moved: a flap folded into one event", events: [new(carrier: 1), new(carrier: 3)],
            expected: [.down("eth0"), .up("eth0")], upAfter: true),
        Row(name: "up to up, counter unchanged: nothing", events: [new(carrier: 3), new(carrier: 3)], expected: [], upAfter: true),
        Row(name: "stale event (counter behind) after a fresher poll: ignored",
            events: [new(carrier: 1), new(carrier: 3), new(flags: adminUpNoCarrier, carrier: 2)], expected: [], upAfter: true),
        Row(name: "counter wraps: not stale", events: [new(carrier: UInt32.max), new(flags: adminUpNoCarrier, carrier: 0)],
            expected: [.down("eth0")], upAfter: false),
        Row(name: "no counter: state alone", events: [new(carrier: nil), new(carrier: nil)], expected: [], upAfter: true),
        Row(name: "deleted", events: [new(), deleted()], expected: [.down("eth0")], upAfter: false),
        Row(name: "deleted twice: one down", events: [new(), deleted(), deleted()], expected: [], upAfter: false),
        Row(name: "delete of an older device: ignored", events: [new(index: 7), deleted(index: 2)], expected: [], upAfter: true),
        Row(name: "recreated after a delete", events: [new(), deleted(), new(index: 9, carrier: 1)],
            expected: [.recreated("eth0", index: 9), .up("eth0")], upAfter: true),
        Row(name: "recreated, delete missed", events: [new(), new(index: 9, carrier: 1)],
            expected: [.down("eth0"), .recreated("eth0", index: 9), .up("eth0")], upAfter: true),
        Row(name: "recreated, still down", events: [new(), deleted(), new(index: 9, flags: 0, carrier: 0)],
            expected: [.recreated("eth0", index: 9)], upAfter: false),
        Row(name: "renamed away", events: [new(), new("eth9", index: 2)], expected: [.down("eth0")], upAfter: false),
        Row(name: "other interfaces: ignored", events: [new(), new("eth1", index: 3, flags: 0)], expected: [], upAfter: true),
    ]

    @Test("events -> changes", arguments: rows)
    func table(row: Row) {
        var tracker = LinkTracker(watching: ["eth0"])
        for event in row.events.dropLast() { _ = tracker.observe(event) }
        #expect(tracker.observe(row.events.last!) == row.expected)
        #expect(tracker.isUp("eth0") == row.upAfter)
    }

    @Test("a down and an up read in one batch is a fault and its end, in that order")
    func flapInOneBatch() {
        var tracker = LinkTracker(watching: ["eth0"])
        _ = tracker.observe(Self.new(carrier: 4))
        let batch = LinkMessageParser.parse(
            Self.message(index: 2, flags: Self.adminUpNoCarrier, name: "eth0", carrier: 5)
                + Self.message(index: 2, flags: Self.up, name: "eth0", carrier: 6))
        let changes = batch.flatMap { tracker.observe($0) }
        #expect(changes == [.down("eth0"), .up("eth0")])
        #expect(tracker.isUp("eth0"))
    }

    @Test("a backstop reading absent, then present with a new index")
    func absentThenBack() {
        var tracker = LinkTracker(watching: ["eth0"])
        _ = tracker.observe(Self.new())
        #expect(tracker.observeAbsent("eth0") == [.down("eth0")])
        #expect(tracker.index(of: "eth0") == nil)
        #expect(tracker.observe(Self.new(index: 12)) == [.recreated("eth0", index: 12), .up("eth0")])
        #expect(tracker.index(of: "eth0") == 12)
        #expect(tracker.observeAbsent("eth1") == [])
    }

    // MARK: parser

    /// One `RTM_NEWLINK` (16) / `RTM_DELLINK` (17) as the kernel lays it out (little-endian host).
    static func message(type: UInt16 = 16, index: Int32, flags: UInt32, name: String?, carrier: UInt32?,
                        extra: [UInt8] = []) -> [UInt8] {
        var body: [UInt8] = [0, 0] + le16(1) + le32(UInt32(bitPattern: index)) + le32(flags) + le32(0)
        if let name { body += attribute(3, Array(name.utf8) + [0]) }
        body += extra
        if let carrier { body += attribute(35, le32(carrier)) }
        return le32(UInt32(16 + body.count)) + le16(type) + le16(0) + le32(0) + le32(0) + body
    }

    static func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let raw = le16(UInt16(4 + payload.count)) + le16(type) + payload
        return raw + [UInt8](repeating: 0, count: LinkMessageParser.align(raw.count) - raw.count)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }

    @Test("RTM_NEWLINK and RTM_DELLINK are parsed; other messages and attributes are skipped")
    func parse() {
        let bytes = Self.message(index: 5, flags: Self.up, name: "vrrp0", carrier: 7, extra: Self.attribute(16, [6]))
            + Self.message(type: 3, index: 0, flags: 0, name: nil, carrier: nil)   // NLMSG_DONE
            + Self.message(type: 17, index: 5, flags: 0, name: "vrrp0", carrier: nil)
        #expect(LinkMessageParser.parse(bytes) == [
            LinkEvent(kind: .new, index: 5, name: "vrrp0", flags: Self.up, carrierChanges: 7),
            LinkEvent(kind: .deleted, index: 5, name: "vrrp0", flags: 0, carrierChanges: nil),
        ])
    }

    @Test("truncated or lying lengths end the parse without trapping")
    func malformed() {
        let good = Self.message(index: 5, flags: Self.up, name: "vrrp0", carrier: 7)
        // Every prefix of a good message, and the message with every length byte replaced.
        for cut in 0..<good.count { #expect(LinkMessageParser.parse(good.prefix(cut)).isEmpty) }
        for position in [0, 1, 16, 32, 33] {
            for value: UInt8 in [0, 1, 3, 4, 0xff] {
                var bad = good
                bad[position] = value
                _ = LinkMessageParser.parse(bad)
            }
        }
        #expect(LinkMessageParser.parse(Self.message(index: 5, flags: Self.up, name: nil, carrier: 7)).isEmpty, "no name: no event")
        #expect(LinkMessageParser.parse(good + good.prefix(10)).count == 1)
    }
}
