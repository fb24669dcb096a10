import Crypto

/// One key per purpose, each derived from the cluster secret with HKDF-SHA256, so a MAC made for one
/// purpose (an admin call) is never valid for another (a signed answer, a heartbeat).
///
/// `info` is `"hactl <purpose> v2"`; the input key material is the secret file's contents without
/// trailing whitespace (so a trailing newline does not matter). See docs/security.md.
public struct ClusterKeys: Sendable, CustomStringConvertible {
    public enum Purpose: String, Sendable, CaseIterable {
        /// Signed calls to an agent's API (`Authorization: HACTL-HMAC-SHA256 ...`), CLI and peers alike.
        case admin
        /// The agent's signed answers to those calls (`X-Hactl-Response`).
        case peer
        /// Controller and compute heartbeats (issue 12).
        case heartbeat
    }

    public let admin: ClusterKey
    public let peer: ClusterKey
    public let heartbeat: ClusterKey

    public init(secret: [UInt8]) {
        admin = Self.derive(secret: secret, purpose: .admin)
        peer = Self.derive(secret: secret, purpose: .peer)
        heartbeat = Self.derive(secret: secret, purpose: .heartbeat)
    }

    public subscript(purpose: Purpose) -> ClusterKey {
        switch purpose {
        case .admin: admin
        case .peer: peer
        case .heartbeat: heartbeat
        }
    }

    /// HKDF-SHA256(ikm: secret without trailing whitespace, salt: none, info: "hactl <purpose> v2", 32 bytes).
    public static func derive(secret: [UInt8], purpose: Purpose) -> ClusterKey {
        var material = secret
        while let last = material.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 {
            material.removeLast()
        }
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: material),
                                         info: Array("hactl \(purpose.rawValue) v2".utf8), outputByteCount: 32)
        return ClusterKey(bytes: key.withUnsafeBytes { Array($0) })
    }

    /// Never prints key material.
    public var description: String { "ClusterKeys(admin, peer, heartbeat: redacted)" }
}

/// A 32-byte derived key. Its description is redacted, so it cannot end up in a log by accident.
public struct ClusterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Raw bytes (SymmetricKey is not Sendable); a SymmetricKey is made per use.
    let bytes: [UInt8]

    /// For other constructions (AEAD, ...) keyed with this purpose's key.
    public var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// HMAC-SHA256 of `message` under this key (32 bytes).
    public func mac(_ message: some Sequence<UInt8>) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: symmetricKey))
    }

    /// Constant-time check of a received MAC.
    public func isValid(mac received: [UInt8], for message: some Sequence<UInt8>) -> Bool {
        constantTimeEqual(mac(message), received)
    }

    public var description: String { "ClusterKey(redacted)" }
    public var debugDescription: String { description }
}
