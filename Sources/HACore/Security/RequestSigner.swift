import Crypto
import Foundation
import Synchronization

/// Signs and verifies admin and peer HTTP calls, and the agent's answers to them, with the cluster secret.
///
/// Scheme `HACTL-HMAC-SHA256` (documented in docs/security.md): the request carries
/// `Authorization: HACTL-HMAC-SHA256 t=<unix seconds>,n=<nonce hex>,s=<hmac hex>` where the HMAC-SHA256,
/// keyed with `ClusterKeys.admin`, covers
/// `"HACTL2\n" + METHOD + "\n" + CLUSTER + "\n" + NODE + "\n" + PATH?QUERY + "\n" + t + "\n" + n + "\n" + hex(SHA256(body))`,
/// NODE being the controller the call is meant for and CLUSTER `cluster.name`: a captured call is
/// refused by every other node and cluster. A signature is accepted within ±`window` of the verifier's
/// wall clock and at most once per nonce.
///
/// The agent answers a call it accepted with `X-Hactl-Response: s=<hmac hex>`, keyed with
/// `ClusterKeys.peer`, over `"HACTL2-ANSWER\n" + CLUSTER + "\n" + NODE + "\n" + n + "\n" + STATUS + "\n" + hex(SHA256(body))`
/// (n: the request's nonce, NODE: the answering node), so a client trusts only the answer to its own call.
public struct RequestSigner: Sendable {
    public static let scheme = "HACTL-HMAC-SHA256"
    public static let headerName = "Authorization"
    /// The header carrying the agent's MAC over its answer.
    public static let answerHeaderName = "X-Hactl-Response"
    /// The first line of the canonical string; bumped whenever what is signed changes.
    public static let version = "HACTL2"
    /// Longest `Authorization` value the parser looks at (a valid one is about 170 bytes).
    public static let maxHeaderLength = 512
    /// Largest accepted `t` (year 2286); anything longer or larger is malformed, never arithmetic.
    public static let maxTimestamp: Int64 = 10_000_000_000

    public let keys: ClusterKeys
    public let window: Duration

    /// Derives the keys from the raw contents of the cluster secret file (trailing whitespace ignored).
    public init(secret: [UInt8], window: Duration = .seconds(30)) {
        self.keys = ClusterKeys(secret: secret)
        self.window = window
    }

    /// Reads the secret file with the same checks as config validation (regular file, mode 0600 or stricter).
    public init(secretFile: String, window: Duration = .seconds(30)) throws(SecurityError) {
        let secret: String
        do { secret = try SecretFile.read(secretFile) } catch { throw .unusable(message: error.message) }
        guard !secret.isEmpty else { throw .unusable(message: "secret file \(secretFile) is empty") }
        self.init(secret: Array(secret.utf8), window: window)
    }

    /// The `Authorization` header value for one request to `node` of `cluster`.
    public func sign(method: String, path: String, body: some Collection<UInt8>, node: String, cluster: String,
                     unixTime: Int64, nonce: String = RequestSigner.makeNonce()) -> String {
        let mac = code(method: method, path: path, body: body, node: node, cluster: cluster, unixTime: unixTime, nonce: nonce)
        return "\(Self.scheme) t=\(unixTime),n=\(nonce),s=\(hex(mac))"
    }

    /// The checks that need no body: present, well-formed, inside the time window. The agent runs
    /// them before it reads a request body.
    public func preflight(header: String?, unixTime now: Int64) -> Result<SignedCallHeader, AuthFailure> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        let parsed: SignedCallHeader
        switch Self.parseHeader(header) {
        case .success(let p): parsed = p
        case .failure(let failure): return .failure(failure)
        }
        guard Self.isInside(window: window, t: parsed.t, now: now) else { return .failure(.expired) }
        return .success(parsed)
    }

    /// Checks a request's `Authorization` value for this node (`node`, `cluster`: the verifier's own);
    /// `replay` remembers nonces for the window. On success, the parsed header (its nonce keys the answer).
    public func verify(header: String?, method: String, path: String, body: some Collection<UInt8>,
                       node: String, cluster: String, unixTime now: Int64,
                       replay: ReplayCache) -> Result<SignedCallHeader, AuthFailure> {
        let parsed: SignedCallHeader
        switch preflight(header: header, unixTime: now) {
        case .success(let p): parsed = p
        case .failure(let failure): return .failure(failure)
        }
        let expected = code(method: method, path: path, body: body, node: node, cluster: cluster,
                            unixTime: parsed.t, nonce: parsed.nonce)
        guard constantTimeEqual(expected, parsed.mac) else { return .failure(.badSignature) }
        guard replay.insert(nonce: parsed.nonce, unixTime: now, window: window.components.seconds) else {
            return .failure(.replayed)
        }
        return .success(parsed)
    }

    /// The `X-Hactl-Response` value for the answer `node` gives to the call that carried `nonce`.
    public func signAnswer(nonce: String, status: Int, body: some Collection<UInt8>, node: String, cluster: String) -> String {
        "s=" + hex(answerCode(nonce: nonce, status: status, body: body, node: node, cluster: cluster))
    }

    /// Checks an answer's `X-Hactl-Response` against the call this client made (its nonce) to `node`.
    public func verifyAnswer(header: String?, nonce: String, status: Int, body: some Collection<UInt8>,
                             node: String, cluster: String) -> Result<Void, AnswerFailure> {
        guard let header, !header.isEmpty else { return .failure(.unsigned) }
        let u = Array(header.utf8)
        guard u.count == 66, u[0] == UInt8(ascii: "s"), u[1] == UInt8(ascii: "="),
              let mac = unhex(String(decoding: u[2...], as: UTF8.self)), mac.count == 32 else {
            return .failure(.malformed)
        }
        let expected = answerCode(nonce: nonce, status: status, body: body, node: node, cluster: cluster)
        return constantTimeEqual(expected, mac) ? .success(()) : .failure(.forged)
    }

    public static func makeNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// `|now - t| <= window` without any arithmetic that can trap, whatever the two values.
    public static func isInside(window: Duration, t: Int64, now: Int64) -> Bool {
        let (difference, overflow) = now.subtractingReportingOverflow(t)
        guard !overflow else { return false }
        let limit = window.components.seconds
        guard limit >= 0 else { return false }
        return difference.magnitude <= UInt64(limit)
    }

    func code(method: String, path: String, body: some Collection<UInt8>, node: String, cluster: String,
              unixTime: Int64, nonce: String) -> [UInt8] {
        let bodyHash = hex(SHA256.hash(data: Array(body)))
        let canonical = "\(Self.version)\n\(method.uppercased())\n\(cluster)\n\(node)\n\(path)\n\(unixTime)\n\(nonce)\n\(bodyHash)"
        return keys.admin.mac(canonical.utf8)
    }

    func answerCode(nonce: String, status: Int, body: some Collection<UInt8>, node: String, cluster: String) -> [UInt8] {
        let bodyHash = hex(SHA256.hash(data: Array(body)))
        let canonical = "\(Self.version)-ANSWER\n\(cluster)\n\(node)\n\(nonce)\n\(status)\n\(bodyHash)"
        return keys.peer.mac(canonical.utf8)
    }

    /// Parses an `Authorization` value; pure, never traps, public for fuzzing. Exactly the three
    /// fields `t`, `n`, `s` (any order, each once, optional spaces around them); `t`: 1-11 ASCII digits,
    /// at most `maxTimestamp`; `n`: 8-64 hex digits; `s`: 64 hex digits. Anything else, or a value
    /// over `maxHeaderLength` bytes, is `.malformed`.
    public static func parseHeader(_ header: String) -> Result<SignedCallHeader, AuthFailure> {
        var bytes: [UInt8] = []
        for byte in header.utf8 {
            guard bytes.count < maxHeaderLength else { return .failure(.malformed) }
            bytes.append(byte)
        }
        let prefix = Array((scheme + " ").utf8)
        guard bytes.count > prefix.count, bytes.starts(with: prefix) else { return .failure(.malformed) }
        var t: Int64?, n: String?, s: [UInt8]?
        for rawField in bytes[prefix.count...].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let field = trimmed(rawField)
            guard let equals = field.firstIndex(of: UInt8(ascii: "=")) else { return .failure(.malformed) }
            let key = trimmed(field[..<equals])
            let value = trimmed(field[(equals + 1)...])
            guard key.count == 1 else { return .failure(.malformed) }
            switch key.first {
            case UInt8(ascii: "t"):
                guard t == nil, let parsed = parseTimestamp(value) else { return .failure(.malformed) }
                t = parsed
            case UInt8(ascii: "n"):
                guard n == nil, (8...64).contains(value.count), value.allSatisfy(isHexDigit) else { return .failure(.malformed) }
                n = String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "s"):
                guard s == nil, value.count == 64, let mac = unhex(String(decoding: value, as: UTF8.self)) else {
                    return .failure(.malformed)
                }
                s = mac
            default:
                return .failure(.malformed)
            }
        }
        guard let t, let n, let s, s.count == 32 else { return .failure(.malformed) }
        return .success(SignedCallHeader(t: t, nonce: n, mac: s))
    }

    /// 1-11 ASCII digits (no sign, no spaces), at most `maxTimestamp`; computed digit by digit within bounds.
    static func parseTimestamp(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard (1...11).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            value = value * 10 + Int64(d - 0x30)   // at most 11 digits: < 10^11, far from overflow
        }
        return value <= maxTimestamp ? value : nil
    }

    private static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, f == 0x20 || f == 0x09 { s.removeFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s.removeLast() }
        return s
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x66).contains(c) || (0x41...0x46).contains(c)
    }
}

/// A parsed `Authorization: HACTL-HMAC-SHA256 ...` value (not yet verified).
public struct SignedCallHeader: Sendable, Equatable {
    /// Unix seconds, 0...`RequestSigner.maxTimestamp`.
    public let t: Int64
    /// 8-64 hex digits, as sent.
    public let nonce: String
    /// The 32-byte MAC.
    public let mac: [UInt8]
}

/// Why a client refused an agent's answer; safe to show (no secret material).
public enum AnswerFailure: String, Error, Sendable {
    case unsigned = "unsigned answer"
    case malformed = "malformed answer signature"
    case forged = "answer signature does not match (forged, altered, or for another call)"
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
        // Both values are the verifier's own, but keep the arithmetic trap-free anyway.
        let keep = max(0, min(window, Int64.max / 4)) * 2
        let (horizon, overflow) = now.subtractingReportingOverflow(keep)
        let oldest = overflow ? Int64.min : horizon
        return state.withLock { s in
            while s.head < s.order.count, s.order[s.head].1 < oldest || s.seen.count >= capacity {
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
