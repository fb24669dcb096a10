import FuzzSupport
import HACore

/// libFuzzer target: the signed-call `Authorization` parser and the time-window check
/// (`RequestSigner.parseHeader`, `preflight`, `isInside`). Input: 8 bytes of verifier clock
/// (any `Int64`), 8 bytes of a raw `t` for `isInside`, then the header value (arbitrary bytes).
/// Must never trap; a parsed header keeps its documented bounds and survives a sign/parse round trip.
enum FuzzSignedCall {
    static let signer = RequestSigner(secret: Array("fuzz-secret-0123456789abcdef0123456789".utf8))

    static func one(_ data: [UInt8]) {
        var input = FuzzReader(data)
        let now = input.int64()
        let rawT = input.int64()
        let header = String(decoding: input.rest(), as: UTF8.self)

        // The window check on any pair of values (t = Int64.min once trapped in abs(now - t)).
        let inside = RequestSigner.isInside(window: signer.window, t: rawT, now: now)
        if inside {
            let (difference, overflow) = now.subtractingReportingOverflow(rawT)
            fuzzCheck(!overflow && difference.magnitude <= 30, "isInside(t: \(rawT), now: \(now)) accepted")
        }

        fuzzNote("parseHeader: \(RequestSigner.parseHeader(header))")
        switch RequestSigner.parseHeader(header) {
        case .failure(let failure):
            fuzzCheck(failure == .malformed, "parseHeader failed with \(failure)")
        case .success(let parsed):
            fuzzCheck(header.utf8.count <= RequestSigner.maxHeaderLength, "accepted a header over the length bound")
            fuzzCheck((0...RequestSigner.maxTimestamp).contains(parsed.t), "t out of bounds: \(parsed.t)")
            fuzzCheck((8...64).contains(parsed.nonce.utf8.count), "nonce length \(parsed.nonce.utf8.count)")
            fuzzCheck(parsed.nonce.utf8.allSatisfy(isHex), "nonce not hex")
            fuzzCheck(parsed.mac.count == 32, "mac length \(parsed.mac.count)")
            // What the signer writes for these fields parses back to the same values.
            let again = signer.sign(method: "POST", path: "/v1/node/drain", body: [], node: "c1", cluster: "fuzz",
                                    unixTime: parsed.t, nonce: parsed.nonce)
            guard case .success(let reparsed) = RequestSigner.parseHeader(again) else {
                fuzzCheck(false, "a header the signer wrote does not parse"); return
            }
            fuzzCheck(reparsed.t == parsed.t && reparsed.nonce == parsed.nonce, "sign/parse round trip differs")
        }

        // The body-less checks the agent runs first, at the fuzzed clock and at the extremes.
        for clock in [now, 0, Int64.min, Int64.max, 1_767_225_600] {
            switch signer.preflight(header: header, unixTime: clock) {
            case .success(let parsed):
                fuzzCheck(RequestSigner.isInside(window: signer.window, t: parsed.t, now: clock), "preflight window")
            case .failure(let failure):
                fuzzCheck([.missing, .malformed, .expired].contains(failure), "preflight failed with \(failure)")
            }
        }
    }

    static func isHex(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x66).contains(c) || (0x41...0x46).contains(c)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignedCall(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSignedCall.one(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !HACTL_FUZZ
@main struct FuzzSignedCallReplay {
    static func main() { FuzzSupport.replayMain(FuzzSignedCall.one) }
}
#endif
