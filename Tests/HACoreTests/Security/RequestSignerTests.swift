@testable import HACore
import Testing

@Suite("Signed admin and peer calls")
struct RequestSignerTests {
    let signer = RequestSigner(secret: Array("cluster-secret-one\n".utf8))
    let body = Array(#"{"node":"ctl2"}"#.utf8)
    let now: Int64 = 1_795_000_000

    func header(_ s: RequestSigner = RequestSigner(secret: Array("cluster-secret-one".utf8)),
                method: String = "POST", path: String = "/v1/node/drain", body: [UInt8]? = nil, at t: Int64? = nil,
                node: String = "ctl1", cluster: String = "prod",
                nonce: String = "00112233445566778899aabbccddeeff") -> String {
        s.sign(method: method, path: path, body: body ?? self.body, node: node, cluster: cluster, unixTime: t ?? now, nonce: nonce)
    }

    /// Verifies as ctl1 of cluster "prod" unless told otherwise.
    func verify(_ header: String?, method: String = "POST", path: String = "/v1/node/drain", body: [UInt8]? = nil,
                node: String = "ctl1", cluster: String = "prod", at t: Int64? = nil,
                replay: ReplayCache = ReplayCache()) -> Result<SignedCallHeader, AuthFailure> {
        signer.verify(header: header, method: method, path: path, body: body ?? self.body, node: node, cluster: cluster,
                      unixTime: t ?? now, replay: replay)
    }

    @Test func validSignatureIsAccepted() throws {
        let parsed = try verify(header()).get()
        #expect(parsed.nonce == "00112233445566778899aabbccddeeff" && parsed.t == now)
    }

    @Test func trailingNewlineOfTheSecretFileDoesNotMatter() {
        // The header was made with "cluster-secret-one" (no newline), the verifier read the file with one.
        #expect((try? verify(header()).get()) != nil)
    }

    @Test func wrongSecretIsRefused() {
        let other = RequestSigner(secret: Array("cluster-secret-two".utf8))
        #expect(verify(header(other)).failure == .badSignature)
    }

    @Test(arguments: [Int64(-31), 31, -3600, 86400])
    func outsideTheWindowIsRefused(skew: Int64) {
        #expect(verify(header(at: now + skew)).failure == .expired)
    }

    @Test(arguments: [Int64(-30), 0, 30])
    func insideTheWindowIsAccepted(skew: Int64) {
        #expect(verify(header(at: now + skew)).failure == nil)
    }

    @Test func tamperedBodyPathOrMethodIsRefused() {
        let replay = ReplayCache()
        let h = header()
        #expect(verify(h, body: Array(#"{"node":"ctl3"}"#.utf8), replay: replay).failure == .badSignature)
        #expect(verify(h, path: "/v1/node/resume", replay: replay).failure == .badSignature)
        #expect(verify(h, method: "PUT", replay: replay).failure == .badSignature)
        var tamperedTime = h
        tamperedTime.replace("t=\(now)", with: "t=\(now + 1)")
        #expect(verify(tamperedTime, replay: replay).failure == .badSignature)
    }

    // Issue 11 item 4: a call signed for one node or cluster is refused by every other.
    @Test func signatureMadeForAnotherNodeIsRefused() {
        let forCtl2 = header(node: "ctl2")
        #expect(verify(forCtl2, node: "ctl1").failure == .badSignature)
        #expect(verify(forCtl2, node: "ctl2").failure == nil)
    }

    @Test func signatureMadeForAnotherClusterIsRefused() {
        let forStaging = header(cluster: "staging")
        #expect(verify(forStaging, cluster: "prod").failure == .badSignature)
        #expect(verify(forStaging, cluster: "staging").failure == nil)
    }

    /// Test vectors computed outside Swift (Python hmac/hashlib, HKDF-SHA256 per RFC 5869, no salt), so
    /// the documented canonical strings and key labels are pinned.
    @Test func canonicalStringsMatchIndependentVectors() {
        // "HACTL2\nPOST\nprod\nctl1\n/v1/node/drain\n1795000000\n<nonce>\n<sha256(body)>", key info "hactl admin v2"
        #expect(header().hasSuffix("s=effcd14eddc0b5cb533a52b80c9628ad51fae33d29829997e439dba27d101783"))
        // "HACTL2-ANSWER\nprod\nctl1\n<nonce>\n200\n<sha256(body)>", key info "hactl peer v2"
        #expect(signer.signAnswer(nonce: "00112233445566778899aabbccddeeff", status: 200, body: body, node: "ctl1", cluster: "prod")
            == "s=d2f04145cd0fda3005ee9b8d945d8bf015e85d523d491be02db8805650d717e6")
    }

    @Test func replayInsideTheWindowIsRefused() {
        let replay = ReplayCache()
        let h = header()
        #expect(verify(h, replay: replay).failure == nil)
        #expect(verify(h, at: now + 5, replay: replay).failure == .replayed)
    }

    @Test(arguments: [nil, "", "Bearer abc", "HACTL-HMAC-SHA256 t=1", "HACTL-HMAC-SHA256 t=x,n=00112233,s=00",
                      "HACTL-HMAC-SHA256 t=1,n=zz112233,s=\(String(repeating: "0", count: 64))"])
    func malformedOrMissingIsRefused(value: String?) {
        #expect(verify(value).failure == (value == nil || value == "" ? .missing : .malformed))
    }

    // Issue 11 item 2: numbers and fields from the network never trap, whatever they hold.
    static let mac = String(repeating: "ab", count: 32)
    static let hostileHeaders: [String] = [
        "HACTL-HMAC-SHA256 t=-9223372036854775808,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=9223372036854775807,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=99999999999999999999999999999999,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=\(String(repeating: "9", count: 5000)),n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=10000000001,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=+1795000000,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(mac)a",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(String(repeating: "a", count: 63))",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223,s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(mac),t=1795000000",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(mac),s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,,n=0011223344556677,s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(mac),x=1",
        "HACTL-HMAC-SHA256 t=1795000000,n=\(String(repeating: "0", count: 100_000)),s=\(mac)",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=\(String(repeating: "g", count: 64))",
        "HACTL-HMAC-SHA256 t=1795000000,n=0011223344556677,s=é\(String(repeating: "a", count: 62))",
        "HACTL-HMAC-SHA256 ", "HACTL-HMAC-SHA256 ,,,", "HACTL-HMAC-SHA256 t==,n==,s==", "HACTL-HMAC-SHA256 =",
    ]

    @Test(arguments: hostileHeaders)
    func hostileHeaderIsMalformedOrExpiredNeverATrap(value: String) {
        let failure = verify(value).failure
        #expect(failure == .malformed || failure == .expired, "\(value.prefix(120))")
    }

    @Test func extremeClockValuesDoNotTrap() {
        let h = "HACTL-HMAC-SHA256 t=0,n=0011223344556677,s=\(Self.mac)"
        #expect(verify(h, at: Int64.min).failure == .expired)
        #expect(verify(h, at: Int64.max).failure == .expired)
        #expect(RequestSigner.isInside(window: .seconds(30), t: Int64.min, now: Int64.max) == false)
        #expect(RequestSigner.isInside(window: .seconds(30), t: Int64.max, now: Int64.min) == false)
        #expect(RequestSigner.isInside(window: .seconds(30), t: Int64.max, now: Int64.max - 30))
        #expect(ReplayCache().insert(nonce: "n", unixTime: Int64.min, window: Int64.max))
    }

    @Test func parseHeaderAcceptsFieldsInAnyOrderWithSpaces() throws {
        let parsed = try RequestSigner.parseHeader("HACTL-HMAC-SHA256 s=\(Self.mac) , n=0011223344556677,\tt=01795000000").get()
        #expect(parsed.t == 1_795_000_000 && parsed.nonce == "0011223344556677" && parsed.mac.count == 32)
    }

    @Test func replayCacheIsBounded() {
        let replay = ReplayCache(capacity: 4)
        for i in 0..<100 { #expect(replay.insert(nonce: "n\(i)", unixTime: now, window: 30)) }
        // The newest nonces are still remembered after the flood.
        #expect(!replay.insert(nonce: "n99", unixTime: now, window: 30))
    }

    // Issue 11 item 3: the answer is bound to the call's nonce, the status, the node and the body.
    @Test func signedAnswerVerifiesOnlyForItsCall() {
        let nonce = "00112233445566778899aabbccddeeff"
        let answer = signer.signAnswer(nonce: nonce, status: 200, body: body, node: "ctl1", cluster: "prod")
        func check(_ h: String?, nonce: String = nonce, status: Int = 200, body: [UInt8]? = nil, node: String = "ctl1",
                   cluster: String = "prod") -> AnswerFailure? {
            signer.verifyAnswer(header: h, nonce: nonce, status: status, body: body ?? self.body, node: node, cluster: cluster).failure
        }
        #expect(check(answer) == nil)
        #expect(check(nil) == .unsigned)
        #expect(check("") == .unsigned)
        #expect(check("s=abc") == .malformed)
        #expect(check("s=" + String(repeating: "z", count: 64)) == .malformed)
        #expect(check(answer, nonce: "ffeeddccbbaa99887766554433221100") == .forged)
        #expect(check(answer, status: 500) == .forged)
        #expect(check(answer, body: []) == .forged)
        #expect(check(answer, node: "ctl2") == .forged)
        #expect(check(answer, cluster: "staging") == .forged)
        // The answer key is not the call key: an admin MAC over the same bytes is no answer signature.
        let other = RequestSigner(secret: Array("cluster-secret-two".utf8))
        #expect(check(other.signAnswer(nonce: nonce, status: 200, body: body, node: "ctl1", cluster: "prod")) == .forged)
    }

    @Test func keysDifferPerPurposeAndNeverPrint() {
        let keys = ClusterKeys(secret: Array("cluster-secret-one\n".utf8))
        #expect(keys.admin.bytes != keys.peer.bytes && keys.peer.bytes != keys.heartbeat.bytes && keys.admin.bytes != keys.heartbeat.bytes)
        #expect(keys[.heartbeat].bytes == ClusterKeys.derive(secret: Array("cluster-secret-one".utf8), purpose: .heartbeat).bytes)
        #expect("\(keys)".contains("redacted") && "\(keys.admin)" == "ClusterKey(redacted)")
        #expect(keys.admin.isValid(mac: keys.admin.mac([1, 2, 3]), for: [1, 2, 3]))
        #expect(!keys.peer.isValid(mac: keys.admin.mac([1, 2, 3]), for: [1, 2, 3]))
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
