@testable import HACore
import Testing

/// The per-purpose keys pinned against vectors computed outside Swift (Python `cryptography`'s HKDF,
/// SHA-256, no salt, info "hactl <purpose> v2", 32 bytes; `hmac`/`hashlib` for the MAC), so a change
/// of label or derivation cannot pass unnoticed. The heartbeat key is ComputeHA's (issue 12).
@Suite("Cluster keys per purpose")
struct ClusterKeysTests {
    static let secret = Array("cluster-secret-one".utf8)

    @Test(arguments: [
        (ClusterKeys.Purpose.admin, "eb2a85902341f0f702e2812de6f60a51ca5b635d419698143c250b956397a9e4"),
        (.peer, "9f95ee6f454ee3698b23a989402b96b994ee44b89e875649245586acd6a8516d"),
        (.heartbeat, "c34446550ac85a7034de1a3a6deaa33c0946bee42623a897c3ad6d33f13dc6ca"),
    ])
    func derivedKeyMatchesIndependentVector(purpose: ClusterKeys.Purpose, hex: String) {
        #expect(Self.hex(ClusterKeys.derive(secret: Self.secret, purpose: purpose).bytes) == hex)
        // Trailing whitespace of the secret file does not change the key.
        #expect(Self.hex(ClusterKeys(secret: Self.secret + Array(" \t\r\n".utf8))[purpose].bytes) == hex)
    }

    @Test func heartbeatMacMatchesIndependentVector() {
        let key = ClusterKeys(secret: Self.secret).heartbeat
        let message = Array("HACTL-HB\nprod\ncompute1\n42".utf8)
        let expected = "181189bf56bb2b590a13078065d159dc2fccf4a9ede4083f760844b0576aaa3a"
        #expect(Self.hex(key.mac(message)) == expected)
        #expect(key.isValid(mac: key.mac(message), for: message))
        #expect(!ClusterKeys(secret: Self.secret).admin.isValid(mac: key.mac(message), for: message),
                "a heartbeat MAC is no admin MAC")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
