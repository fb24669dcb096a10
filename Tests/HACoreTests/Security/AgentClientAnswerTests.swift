import Foundation
@testable import HACore
import Synchronization
import Testing

/// Issue 11 item 3: `AgentClient.call` trusts only an answer signed for its own call (nonce), by the
/// node it called, in its cluster. A real socket server stands in for the agent.
@Suite("AgentClient answer authentication")
struct AgentClientAnswerTests {
    static let secret = Array("answer-test-secret".utf8)
    let signer = RequestSigner(secret: AgentClientAnswerTests.secret)
    let result = AdminResult(node: "ctl1", ok: true, message: "drained")

    /// How the stand-in agent answers one call, given the verified request's nonce.
    enum Behaviour: Sendable {
        case signed
        case unsigned
        case forgedMAC
        case signedByNode(String)
        case signedForCluster(String)
        case signedWithOtherSecret
        case replayFirstAnswer
        case tamperedBody
        case unsigned401
    }

    /// Recorded first signed answer (for the replay case).
    final class Recorder: Sendable {
        let first = Mutex<(headers: [HTTPHeader], body: [UInt8])?>(nil)
        let verdicts = Mutex<[Result<SignedCallHeader, AuthFailure>]>([])
    }

    func run(_ behaviour: Behaviour, calls: Int = 1) async throws -> [Result<AdminResult, AgentClientError>] {
        let signer = self.signer
        let recorder = Recorder()
        let answerBody = try JSONEncoder().encode(result)
        let server = try TestHTTPServer { request in
            // The agent side: verify the call as ctl1 of "lab", as SignedCallResponder does.
            let verdict = signer.verify(header: request.header("Authorization"), method: request.method, path: request.path,
                                        body: request.body, node: "ctl1", cluster: "lab",
                                        unixTime: Int64(Date().timeIntervalSince1970), replay: ReplayCache())
            recorder.verdicts.withLock { $0.append(verdict) }
            let nonce = (try? verdict.get())?.nonce ?? "00"
            let body = Array(answerBody)
            func signed(_ s: RequestSigner = signer, node: String = "ctl1", cluster: String = "lab", body: [UInt8] = body) -> [HTTPHeader] {
                [HTTPHeader(name: "X-Hactl-Response", value: s.signAnswer(nonce: nonce, status: 200, body: body, node: node, cluster: cluster))]
            }
            switch behaviour {
            case .signed: return .respond(status: 200, headers: signed(), body: body)
            case .unsigned: return .respond(status: 200, body: body)
            case .forgedMAC:
                return .respond(status: 200, headers: [HTTPHeader(name: "X-Hactl-Response", value: "s=" + String(repeating: "ab", count: 32))], body: body)
            case .signedByNode(let node): return .respond(status: 200, headers: signed(node: node), body: body)
            case .signedForCluster(let cluster): return .respond(status: 200, headers: signed(cluster: cluster), body: body)
            case .signedWithOtherSecret:
                return .respond(status: 200, headers: signed(RequestSigner(secret: Array("other".utf8))), body: body)
            case .replayFirstAnswer:
                let earlier = recorder.first.withLock { first in
                    if first == nil { first = (signed(), body) }
                    return first!
                }
                return .respond(status: 200, headers: earlier.headers, body: earlier.body)
            case .tamperedBody:
                let evil = Array(#"{"message":"drained","node":"ctl1","ok":false}"#.utf8)
                return .respond(status: 200, headers: signed(), body: evil)
            case .unsigned401:
                return .respond(status: 401, body: Array("unauthorized: bad signature\n".utf8))
            }
        }
        let http = HTTPClient(threads: 1)
        defer { server.stop() }
        let config = ClusterConfig(
            path: "/nonexistent/cluster.yaml",
            cluster: ClusterSettings(name: "lab", secretFile: "/nonexistent/cluster.key", apiPort: server.port),
            controllers: [Controller(name: "ctl1", address: IPAddress("127.0.0.1")!)])
        let client = AgentClient(config: config, signer: signer, http: http)
        var results: [Result<AdminResult, AgentClientError>] = []
        for _ in 0..<calls {
            do throws(AgentClientError) {
                results.append(.success(try await client.admin("/v1/node/drain", on: config.controllers[0])))
            } catch {
                results.append(.failure(error))
            }
        }
        await http.shutdown()
        // The client signed each call for ctl1 of "lab" (the stand-in verified them as such).
        #expect(recorder.verdicts.withLock { $0.allSatisfy { (try? $0.get()) != nil } })
        return results
    }

    func unauthenticated(_ r: Result<AdminResult, AgentClientError>) -> String? {
        if case .failure(.unauthenticatedAnswer(let node, let reason)) = r { return "\(node): \(reason)" }
        return nil
    }

    @Test func signedAnswerIsAccepted() async throws {
        let results = try await run(.signed)
        #expect(try results[0].get() == result)
    }

    @Test func unsignedAnswerIsRefused() async throws {
        let results = try await run(.unsigned)
        #expect(unauthenticated(results[0]) == "ctl1: unsigned answer")
    }

    @Test(arguments: [Behaviour.forgedMAC, .signedByNode("ctl2"), .signedForCluster("other"), .signedWithOtherSecret, .tamperedBody])
    func forgedAnswerIsRefused(behaviour: Behaviour) async throws {
        let results = try await run(behaviour)
        let reason = unauthenticated(results[0])
        #expect(reason?.hasPrefix("ctl1: answer signature does not match") == true, "\(results[0])")
    }

    @Test func replayedAnswerIsRefused() async throws {
        let results = try await run(.replayFirstAnswer, calls: 2)
        #expect(try results[0].get() == result)
        #expect(unauthenticated(results[1])?.hasPrefix("ctl1: answer signature does not match") == true, "\(results[1])")
    }

    @Test func unsigned401IsUnauthorizedWithoutSecretMaterial() async throws {
        let results = try await run(.unsigned401)
        guard case .failure(let error) = results[0], case .unauthorized = error else {
            Issue.record("expected .unauthorized, got \(results[0])"); return
        }
        #expect(error.description == "ctl1 refused the call: unauthorized: bad signature")
        #expect(!error.description.contains("answer-test-secret"))
    }
}
