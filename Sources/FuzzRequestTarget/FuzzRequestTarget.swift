import FuzzSupport
import HACore
import HummingbirdCore

/// libFuzzer target: the admin API's request path in front of the router, in the order
/// `SignedCallResponder` runs it: `CanonicalTarget.check` on the raw target, then (for every method
/// but GET/HEAD) `RequestSigner.preflight` and `verify` of a random `Authorization` header, method,
/// target and body against a fixed key. Input: 8 bytes of clock, then `method \n target \n header \n body`.
///
/// Must never trap, and:
/// - a target the check accepts is what the router matches: Hummingbird's `URI.path` is the raw
///   path, and %-decoding it adds no `/`, no empty, `.` or `..` segment (the `//v1/...` bypass class);
/// - a fuzzed header never verifies (it would need the key);
/// - a header the signer makes for this very call verifies once, is refused as a replay, and is
///   refused by another node and another cluster.
enum FuzzRequestTarget {
    static let signer = RequestSigner(secret: Array("fuzz-secret-0123456789abcdef0123456789".utf8))
    static let node = "c1"
    static let cluster = "fuzz"

    static func one(_ data: [UInt8]) {
        var input = FuzzReader(data)
        let now = input.int64()
        let method = String(decoding: input.field(), as: UTF8.self)
        let targetBytes = input.field()
        let target = String(decoding: targetBytes, as: UTF8.self)
        let headerBytes = input.field()
        let header: String? = headerBytes.isEmpty ? nil : String(decoding: headerBytes, as: UTF8.self)
        let body = input.rest()

        fuzzNote("\(method) \(target): \(CanonicalTarget.check(target))")
        switch CanonicalTarget.check(target) {
        case .failure:
            return   // 400 before anything else
        case .success:
            checkRouterAgrees(target)
        }
        if method == "GET" || method == "HEAD" { return }   // read-only, unauthenticated by design

        let replay = ReplayCache(capacity: 8)
        switch signer.verify(header: header, method: method, path: target, body: body, node: node, cluster: cluster,
                             unixTime: now, replay: replay) {
        case .success:
            fuzzCheck(false, "a fuzzed header verified: \(header ?? "nil")")
        case .failure:
            break
        }

        // The genuine call for the same method, target and body.
        let t = min(max(now, 0), RequestSigner.maxTimestamp)
        let signed = signer.sign(method: method, path: target, body: body, node: node, cluster: cluster, unixTime: t)
        let first = signer.verify(header: signed, method: method, path: target, body: body, node: node,
                                  cluster: cluster, unixTime: t, replay: replay)
        guard case .success = first else { fuzzCheck(false, "own signature refused: \(first)"); return }
        let again = signer.verify(header: signed, method: method, path: target, body: body, node: node,
                                  cluster: cluster, unixTime: t, replay: replay)
        fuzzCheck(again == .failure(.replayed), "replay not refused: \(again)")
        let otherNode = signer.verify(header: signed, method: method, path: target, body: body, node: "c2",
                                      cluster: cluster, unixTime: t, replay: ReplayCache(capacity: 8))
        fuzzCheck(otherNode == .failure(.badSignature), "accepted by another node: \(otherNode)")
        let otherCluster = signer.verify(header: signed, method: method, path: target, body: body, node: node,
                                         cluster: "other", unixTime: t, replay: ReplayCache(capacity: 8))
        fuzzCheck(otherCluster == .failure(.badSignature), "accepted by another cluster: \(otherCluster)")
        if target != "/" {
            let otherPath = signer.verify(header: signed, method: method, path: "/" + target, body: body, node: node,
                                          cluster: cluster, unixTime: t, replay: ReplayCache(capacity: 8))
            fuzzCheck(otherPath == .failure(.badSignature), "accepted for another target: \(otherPath)")
        }
    }

    /// For an accepted target, the router's path equals the signed one and decodes to the same segments.
    static func checkRouterAgrees(_ target: String) {
        let raw = Array(target.utf8)
        let rawPath = Array(raw[..<(raw.firstIndex(of: UInt8(ascii: "?")) ?? raw.endIndex)])
        let routerPath = URI(target).path
        fuzzCheck(Array(routerPath.utf8) == rawPath, "router path \(routerPath) differs from the signed \(target)")
        fuzzCheck(rawPath.first == UInt8(ascii: "/"), "accepted a target not starting with /: \(target)")
        guard rawPath.count > 1 else { return }
        let rawSegments = rawPath.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for segment in rawSegments {
            let decoded = percentDecoded(Array(segment))
            fuzzCheck(decoded != nil, "accepted a malformed %-escape: \(target)")
            guard let decoded else { return }
            fuzzCheck(!decoded.isEmpty, "accepted an empty segment: \(target)")
            fuzzCheck(!decoded.contains(UInt8(ascii: "/")) && !decoded.contains(UInt8(ascii: "\\")),
                      "a segment decodes to a separator: \(target)")
            fuzzCheck(decoded != [0x2E] && decoded != [0x2E, 0x2E], "a segment decodes to a dot segment: \(target)")
        }
    }

    /// RFC 3986 percent-decoding, independent of the code under test; nil on a malformed escape.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else {
                    return nil
                }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzRequestTarget.one(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !HACTL_FUZZ
@main struct FuzzRequestTargetReplay {
    static func main() { FuzzSupport.replayMain(FuzzRequestTarget.one) }
}
#endif
