import HACore
import Testing

/// Issue 11 item 1: the pure canonical-target check the agent runs before anything else.
@Suite("Canonical request targets")
struct CanonicalTargetTests {
    @Test(arguments: ["/", "/v1/node/drain", "/health/check/db", "/v1/vip/public-1/takeover", "/v1/status?verbose=1",
                      "/v1/a%20b", "/v1?next=%2F..%2F", "/metrics", "/health/vip/vip.internal", "/?", "/a..b/.c/d."])
    func canonicalTargetsPass(target: String) {
        #expect(CanonicalTarget.check(target).failure == nil, "\(target)")
    }

    @Test(arguments: [
        ("", CanonicalTarget.Rejection.empty), ("*", .notOriginForm), ("v1/node/drain", .notOriginForm),
        ("http://198.18.0.11:9780/v1/node/drain", .notOriginForm),
        ("//v1/node/drain", .emptySegment), ("/v1//node/drain", .emptySegment), ("/v1/node/drain/", .emptySegment),
        ("//", .emptySegment), ("//?x", .emptySegment),
        ("/.", .dotSegment), ("/./v1/node/drain", .dotSegment), ("/v1/../v1/node/drain", .dotSegment), ("/v1/..?x", .dotSegment),
        ("/v1%2Fnode/drain", .encodedCharacter), ("/v1%2fnode/drain", .encodedCharacter), ("/%2E/v1", .encodedCharacter),
        ("/%2e%2e/v1", .encodedCharacter), ("/v1%5Cnode", .encodedCharacter), ("/%761/node/drain", .encodedCharacter),
        ("/v1/%00", .encodedCharacter), ("/v1/%7E", .encodedCharacter),
        ("/v1/node/drain%", .badPercent), ("/v1/%2", .badPercent), ("/v1/%zz", .badPercent), ("/v1?x=%G0", .badPercent),
        ("/v1\\node", .backslash), ("/v1 /node", .badCharacter), ("/v1/node/drain#frag", .badCharacter),
        ("/v1/nöde", .badCharacter), ("/v1/\t", .badCharacter), ("/v1/\u{7F}", .badCharacter),
    ])
    func nonCanonicalTargetsAreRefused(target: String, reason: CanonicalTarget.Rejection) {
        #expect(CanonicalTarget.check(target).failure == reason, "\(target)")
        #expect(!reason.reason.contains("\n"))
    }

    @Test func lengthIsBounded() {
        let limit = "/" + String(repeating: "a", count: CanonicalTarget.maxLength - 1)
        #expect(CanonicalTarget.check(limit).failure == nil)
        #expect(CanonicalTarget.check(limit + "a").failure == .tooLong)
        #expect(CanonicalTarget.check("/" + String(repeating: "a", count: 10_000_000)).failure == .tooLong)
    }

    /// Bounded random inputs from a fixed seed: the check returns for every one (a trap would end the run).
    @Test func randomBytesNeverTrap() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("/.%2FfEe5Cc\\?#a0~-_ \u{0}".utf8)
        var refused = 0
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let count = Int(state >> 58)
            var bytes: [UInt8] = []
            for i in 0..<count { bytes.append(alphabet[Int((state >> UInt64(i % 50)) & 0xFF) % alphabet.count]) }
            if case .failure = CanonicalTarget.check(bytes: bytes) { refused += 1 }
        }
        #expect(refused > 0)
    }
}
