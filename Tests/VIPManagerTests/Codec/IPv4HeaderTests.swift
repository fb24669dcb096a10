import HACore
import Testing
@testable import VIPManager

@Suite("IPv4 header parsing")
struct IPv4HeaderTests {
    let payload: [UInt8] = [0x31, 0x33, 0x96, 0x01, 0x00, 0x64, 0xcb, 0x9d, 0xc6, 0x12, 0x00, 0x0a]

    @Test("a plain header yields addresses, TTL, protocol and payload")
    func plain() throws {
        let datagram = ipv4Datagram(payload: payload, source: ip("198.18.0.11"), destination: ip("224.0.0.18"),
                                    ttl: 254)
        let header = try #require(IPv4Header.parse(datagram))
        #expect(header.source == ip("198.18.0.11"))
        #expect(header.destination == ip("224.0.0.18"))
        #expect(header.ttl == 254)
        #expect(header.protocol == 112)
        #expect(Array(header.payload) == payload)
    }

    @Test("options are skipped by the IHL")
    func options() throws {
        let routerAlert: [UInt8] = [0x94, 0x04, 0x00, 0x00]
        let datagram = ipv4Datagram(payload: payload, source: ip("198.18.0.11"), destination: ip("198.18.0.12"),
                                    options: routerAlert + [1, 1, 1, 0])
        let header = try #require(IPv4Header.parse(datagram))
        #expect(Array(header.payload) == payload)
        #expect(header.destination == ip("198.18.0.12"))
    }

    @Test("bytes beyond the total length are not payload")
    func padding() throws {
        let datagram = ipv4Datagram(payload: payload, source: ip("198.18.0.11"), destination: ip("224.0.0.18"))
        let header = try #require(IPv4Header.parse(datagram + [0, 0, 0, 0, 0, 0]))
        #expect(Array(header.payload) == payload)
    }

    @Test("works on any collection, including slices with non-zero start")
    func slices() throws {
        let datagram = [0xAA, 0xBB] + ipv4Datagram(payload: payload, source: ip("198.18.0.11"),
                                                   destination: ip("224.0.0.18"))
        let header = try #require(IPv4Header.parse(datagram[2...]))
        #expect(Array(header.payload) == payload)
        #expect(header.payload.startIndex == 20)
    }

    @Test("malformed headers are rejected", arguments: [
        "empty", "19 bytes", "version 6", "IHL 4", "IHL beyond the data", "total length below IHL",
        "total length beyond the data",
    ])
    func malformed(_ mutation: String) {
        var datagram = ipv4Datagram(payload: payload, source: ip("198.18.0.11"), destination: ip("224.0.0.18"))
        switch mutation {
        case "empty": datagram = []
        case "19 bytes": datagram = Array(datagram.prefix(19))
        case "version 6": datagram[0] = 0x65
        case "IHL 4": datagram[0] = 0x44
        case "IHL beyond the data": datagram[0] = 0x4F
        case "total length below IHL": datagram[2] = 0; datagram[3] = 19
        case "total length beyond the data": datagram[3] += 1
        default: Issue.record("unknown mutation \(mutation)")
        }
        #expect(IPv4Header.parse(datagram) == nil)
    }
}
