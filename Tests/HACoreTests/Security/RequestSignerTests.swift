@testable import HACore
import Testing

@Suite("Signed admin and peer calls")
struct RequestSignerTests {
    let signer = RequestSigner(secret: Array("cluster-secret-one\n".utf8))
    let body = Array(#"{"node":"ctl2"}"#.utf8)
    let now: Int64 = 1_795_000_000

    func header(_ s: RequestSigner = RequestSigner(secret: Array("cluster-secret-one".utf8)),
                method: String = "POST", path: String = "/v1/node/drain", body: [UInt8]? = nil, at t: Int64? = nil,
                nonce: String = "00112233445566778899aabbccddeeff") -> String {
        s.sign(method: method, path: path, body: body ?? self.body, unixTime: t ?? now, nonce: nonce)
    }

    @Test func validSignatureIsAccepted() {
        let r = signer.verify(header: header(), method: "POST", path: "/v1/node/drain", body: body, unixTime: now, replay: ReplayCache())
        #expect(throws: Never.self) { try r.get() }
    }

    @Test func trailingNewlineOfTheSecretFileDoesNotMatter() {
        // The header was made with "cluster-secret-one" (no newline), the verifier read the file with one.
        #expect((try? signer.verify(header: header(), method: "POST", path: "/v1/node/drain", body: body,
                                    unixTime: now, replay: ReplayCache()).get()) != nil)
    }

    @Test func wrongSecretIsRefused() {
        let other = RequestSigner(secret: Array("cluster-secret-two".utf8))
        let r = signer.verify(header: header(other), method: "POST", path: "/v1/node/drain", body: body, unixTime: now, replay: ReplayCache())
        #expect(r.failure == .badSignature)
    }

    @Test(arguments: [Int64(-31), 31, -3600, 86400])
    func outsideTheWindowIsRefused(skew: Int64) {
        let r = signer.verify(header: header(at: now + skew), method: "POST", path: "/v1/node/drain", body: body,
                              unixTime: now, replay: ReplayCache())
        #expect(r.failure == .expired)
    }

    @Test(arguments: [Int64(-30), 0, 30])
    func insideTheWindowIsAccepted(skew: Int64) {
        let r = signer.verify(header: header(at: now + skew), method: "POST", path: "/v1/node/drain", body: body,
                              unixTime: now, replay: ReplayCache())
        #expect(r.failure == nil)
    }

    @Test func tamperedBodyPathOrMethodIsRefused() {
        let replay = ReplayCache()
        let h = header()
        #expect(signer.verify(header: h, method: "POST", path: "/v1/node/drain", body: Array(#"{"node":"ctl3"}"#.utf8),
                              unixTime: now, replay: replay).failure == .badSignature)
        #expect(signer.verify(header: h, method: "POST", path: "/v1/node/resume", body: body, unixTime: now, replay: replay).failure == .badSignature)
        #expect(signer.verify(header: h, method: "PUT", path: "/v1/node/drain", body: body, unixTime: now, replay: replay).failure == .badSignature)
        var tamperedTime = h
        tamperedTime.replace("t=\(now)", with: "t=\(now + 1)")
        #expect(signer.verify(header: tamperedTime, method: "POST", path: "/v1/node/drain", body: body, unixTime: now, replay: replay).failure == .badSignature)
    }

    @Test func replayInsideTheWindowIsRefused() {
        let replay = ReplayCache()
        let h = header()
        #expect(signer.verify(header: h, method: "POST", path: "/v1/node/drain", body: body, unixTime: now, replay: replay).failure == nil)
        #expect(signer.verify(header: h, method: "POST", path: "/v1/node/drain", body: body, unixTime: now + 5, replay: replay).failure == .replayed)
    }

    @Test(arguments: [nil, "", "Bearer abc", "HACTL-HMAC-SHA256 t=1", "HACTL-HMAC-SHA256 t=x,n=00112233,s=00",
                      "HACTL-HMAC-SHA256 t=1,n=zz112233,s=\(String(repeating: "0", count: 64))"])
    func malformedOrMissingIsRefused(value: String?) {
        let r = signer.verify(header: value, method: "POST", path: "/v1/node/drain", body: body, unixTime: now, replay: ReplayCache())
        #expect(r.failure == (value == nil || value == "" ? .missing : .malformed))
    }

    @Test func replayCacheIsBounded() {
        let replay = ReplayCache(capacity: 4)
        for i in 0..<100 { #expect(replay.insert(nonce: "n\(i)", unixTime: now, window: 30)) }
        // The newest nonces are still remembered after the flood.
        #expect(!replay.insert(nonce: "n99", unixTime: now, window: 30))
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
