import Crypto
import Foundation
import Synchronization

/// Signs and verifies admin and peer HTTP calls with the cluster secret.
///
/// Scheme `HACTL-HMAC-SHA256` (documented in docs/security.md): the request carries
/// `Authorization: HACTL-HMAC-SHA256 t=<unix seconds>,n=<nonce hex>,s=<hmac hex>` where the HMAC-SHA256,
/// keyed with a key derived from the secret file (HKDF-SHA256, info "hactl api v1"), covers
/// `"HACTL1\n" + METHOD + "\n" + PATH?QUERY + "\n" + t + "\n" + n + "\n" + hex(SHA256(body))`.
/// A signature is accepted within ±`window` of the verifier's wall clock and at most once per nonce.
public struct RequestSigner: Sendable {
    public static let scheme = "HACTL-HMAC-SHA256"
    public static let headerName = "Authorization"

    /// Raw derived key bytes (SymmetricKey is not Sendable); a SymmetricKey is made per use.
    let key: [UInt8]
    public let window: Duration

    /// Derives the signing key from the raw contents of the cluster secret file (trailing whitespace ignored).
    public init(secret: [UInt8], window: Duration = .seconds(30)) {
        var material = secret
        while let last = material.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 {
            material.removeLast()
        }
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: material),
            info: Array("hactl api v1".utf8),
            outputByteCount: 32).withUnsafeBytes { Array($0) }
        self.window = window
    }

    /// Reads the secret file with the same checks as config validation (regular file, mode 0600 or stricter).
    public init(secretFile: String, window: Duration = .seconds(30)) throws(SecurityError) {
        let secret: String
        do { secret = try SecretFile.read(secretFile) } catch { throw .unusable(message: error.message) }
        guard !secret.isEmpty else { throw .unusable(message: "secret file \(secretFile) is empty") }
        self.init(secret: Array(secret.utf8), window: window)
    }

    /// The `Authorization` header value for one request.
    public func sign(method: String, path: String, body: some Collection<UInt8>, unixTime: Int64,
                     nonce: String = RequestSigner.makeNonce()) -> String {
        let mac = code(method: method, path: path, body: body, unixTime: unixTime, nonce: nonce)
        return "\(Self.scheme) t=\(unixTime),n=\(nonce),s=\(hex(mac))"
    }

    /// Checks a request's `Authorization` value; `replay` remembers nonces for the window.
    public func verify(header: String?, method: String, path: String, body: some Collection<UInt8>,
                       unixTime now: Int64, replay: ReplayCache) -> Result<Void, AuthFailure> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        guard let parsed = Self.parse(header) else { return .failure(.malformed) }
        let skew = Swift.abs(now - parsed.t)
        guard skew <= window.components.seconds else { return .failure(.expired) }
        let expected = code(method: method, path: path, body: body, unixTime: parsed.t, nonce: parsed.n)
        guard constantTimeEqual(Array(expected), parsed.s) else { return .failure(.badSignature) }
        guard replay.insert(nonce: parsed.n, unixTime: now, window: window.components.seconds) else {
            return .failure(.replayed)
        }
        return .success(())
    }

    public static func makeNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    func code(method: String, path: String, body: some Collection<UInt8>, unixTime: Int64, nonce: String) -> [UInt8] {
        let bodyHash = hex(SHA256.hash(data: Array(body)))
        let canonical = "HACTL1\n\(method.uppercased())\n\(path)\n\(unixTime)\n\(nonce)\n\(bodyHash)"
        return Array(HMAC<SHA256>.authenticationCode(for: Array(canonical.utf8), using: SymmetricKey(data: key)))
    }

    static func parse(_ header: String) -> (t: Int64, n: String, s: [UInt8])? {
        let prefix = scheme + " "
        guard header.hasPrefix(prefix) else { return nil }
        var t: Int64?, n: String?, s: [UInt8]?
        for field in header.dropFirst(prefix.count).split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            let value = String(kv[1]).trimmingCharacters(in: .whitespaces)
            switch kv[0].trimmingCharacters(in: .whitespaces) {
            case "t": t = Int64(value)
            case "n": n = (value.count >= 8 && value.count <= 64 && value.allSatisfy(\.isHexDigit)) ? value : nil
            case "s": s = unhex(value)
            default: return nil
            }
        }
        guard let t, let n, let s, s.count == 32 else { return nil }
        return (t, n, s)
    }
}

/// Why a signed call was refused; the reason is safe to log and to return (no secret material).
public enum AuthFailure: String, Error, Sendable {
    case missing = "missing signature"
    case malformed = "malformed signature"
    case expired = "signature outside the time window"
    case badSignature = "bad signature"
    case replayed = "replayed signature"
}

public enum SecurityError: Error, CustomStringConvertible, Sendable {
    /// The message names the file, never its contents.
    case unusable(message: String)
    public var description: String {
        switch self {
        case .unusable(let message): message
        }
    }
}

/// Nonces seen within the signature window, so a captured request cannot be replayed inside it either.
/// Bounded: at most `capacity` nonces; when full, the oldest are dropped (a flood cannot grow memory).
public final class ReplayCache: Sendable {
    private struct State { var seen: [String: Int64] = [:]; var order: [(String, Int64)] = []; var head = 0 }
    private let state = Mutex(State())
    private let capacity: Int

    public init(capacity: Int = 65_536) { self.capacity = capacity }

    /// False when the nonce was already used within the window.
    func insert(nonce: String, unixTime now: Int64, window: Int64) -> Bool {
        state.withLock { s in
            while s.head < s.order.count, s.order[s.head].1 < now - 2 * window || s.seen.count >= capacity {
                let (old, at) = s.order[s.head]
                if s.seen[old] == at { s.seen[old] = nil }
                s.head += 1
            }
            if s.head > 1024, s.head * 2 > s.order.count { s.order.removeFirst(s.head); s.head = 0 }
            if s.seen[nonce] != nil { return false }
            s.seen[nonce] = now
            s.order.append((nonce, now))
            return true
        }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
    return String(decoding: out, as: UTF8.self)
}

func unhex(_ s: String) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    func nib(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out = [UInt8](); out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let hi = nib(u[i]), let lo = nib(u[i + 1]) else { return nil }
        out.append(hi << 4 | lo); i += 2
    }
    return out
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
