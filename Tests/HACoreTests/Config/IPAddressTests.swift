import Testing

@testable import HACore

@Suite struct IPAddressTests {
    @Test func parsesIPv4InHostOrder() {
        #expect(IPAddress("198.18.0.1") == .v4(0xC612_0001))
        #expect(IPAddress("0.0.0.0") == .v4(0))
        #expect(IPAddress("255.255.255.255") == .v4(.max))
        #expect(IPAddress("198.18.0.1")?.isIPv4 == true)
        #expect(IPAddress("198.18.0.1")?.bytes == [198, 18, 0, 1])
    }

    @Test func parsesIPv6() {
        #expect(IPAddress("::1") == .v6(1))
        #expect(IPAddress("2001:db8::1") == .v6(UInt128(0x2001_0db8) << 96 | 1))
        #expect(IPAddress("::ffff:198.18.0.1") == .v6(UInt128(0xffff) << 32 | 0xC612_0001))
        #expect(IPAddress("2001:db8::1")?.isIPv4 == false)
        #expect(IPAddress("ff02::12")?.bytes == [0xff, 0x02] + Array(repeating: 0, count: 13) + [0x12])
    }

    @Test(arguments: ["198.18.0.300", "198.18.0", "1.2.3.4.5", "localhost", "", " 1.2.3.4", "1.2.3.4/24",
                      "fe80::1%eth0", "2001:db8:::1", "::g", "[::1]"])
    func refusesBadAddresses(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: ["198.18.0.1", "0.0.0.0", "::", "::1", "2001:db8::1", "fe80::1:2:3:4", "ff02::12",
                      "2001:db8:0:1:1:1:1:1"])
    func printsCanonicalTextThatParsesBack(_ text: String) {
        let address = IPAddress(text)
        #expect(address?.description == text)
        #expect(address.flatMap { IPAddress($0.description) } == address)
    }

    @Test func printsCompressedIPv6() {
        #expect(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
    }

    @Test func bytesRoundTrip() {
        for text in ["198.18.0.1", "2001:db8::1"] {
            let address = IPAddress(text)!
            #expect(IPAddress(bytes: address.bytes) == address)
        }
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func ordersIPv4BeforeIPv6ThenNumerically() {
        let sorted = ["2001:db8::2", "198.18.0.12", "::1", "198.18.0.2", "2001:db8::10", "10.0.0.1"]
            .map { IPAddress($0)! }.sorted().map(\.description)
        #expect(sorted == ["10.0.0.1", "198.18.0.2", "198.18.0.12", "::1", "2001:db8::2", "2001:db8::10"])
        #expect(IPAddress("198.18.0.12")! > IPAddress("198.18.0.11")!)
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
    }

    @Test func parsesNetworks() {
        let network = IPNetwork("198.18.0.10/24")
        #expect(network?.address == IPAddress("198.18.0.10"))
        #expect(network?.prefixLength == 24)
        #expect(network?.description == "198.18.0.10/24")
        #expect(IPNetwork("2001:db8::10/64")?.prefixLength == 64)
        #expect(IPNetwork("198.18.0.10")?.prefixLength == 32)
        #expect(IPNetwork("2001:db8::10")?.prefixLength == 128)
        #expect(IPNetwork("0.0.0.0/0")?.prefixLength == 0)
        #expect(IPNetwork("2001:db8::/128")?.prefixLength == 128)
    }

    @Test(arguments: ["198.18.0.10/33", "2001:db8::1/129", "198.18.0.10/", "198.18.0.10/x", "198.18.0.10/-1",
                      "198.18.0.10/+8", "198.18.0.300/24", "/24", "198.18.0.10/24/1"])
    func refusesBadNetworks(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test func networkContainment() {
        let network = IPNetwork("198.18.0.10/24")!
        #expect(network.contains(IPAddress("198.18.0.200")!))
        #expect(!network.contains(IPAddress("198.18.1.1")!))
        #expect(!network.contains(IPAddress("::1")!))
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPNetwork("2001:db8::/32")!.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!IPNetwork("2001:db8::/32")!.contains(IPAddress("2001:db9::1")!))
    }

    @Test func localAddressesIncludeLoopbackSortedOnce() {
        let local = LocalAddresses.current()
        #expect(local.contains(.v4(0x7F00_0001)))
        #expect(local == local.sorted())
        #expect(Set(local).count == local.count)
    }
}
