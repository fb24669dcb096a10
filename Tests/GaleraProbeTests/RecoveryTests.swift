import Foundation
import HACore
import Testing
@testable import GaleraProbe

/// Full-outage recovery: grastate.dat parsing and editing, the recovered-position parser, the plan
/// (who bootstraps, when it refuses), and the local actions running real shell commands.
@Suite("Galera recovery")
struct RecoveryTests {
    static let uuid = "6d5ac8c1-8d1f-11ef-9c4f-9a3b1f2c7e01"

    // A clean stop, as MariaDB 10.11 + galera-4 26.4 writes it.
    static let cleanGrastate = """
        # GALERA saved state
        version: 2.1
        uuid:    \(uuid)
        seqno:   1234
        safe_to_bootstrap: 1

        """

    @Test func grastateOfACleanStop() {
        let state = Grastate(text: Self.cleanGrastate)
        #expect(state == Grastate(uuid: Self.uuid, seqno: 1234, safeToBootstrap: true))
    }

    @Test func grastateOfACrashAndGarbage() {
        #expect(Grastate(text: "uuid: \(Self.uuid)\nseqno: -1\nsafe_to_bootstrap: 0\n")
                == Grastate(uuid: Self.uuid, seqno: -1, safeToBootstrap: false))
        #expect(Grastate(text: "seqno: many\nsafe_to_bootstrap: maybe\nnonsense\n") == Grastate(uuid: nil, seqno: nil, safeToBootstrap: nil))
        #expect(Grastate(text: "") == Grastate(uuid: nil, seqno: nil, safeToBootstrap: nil))
    }

    @Test func settingSafeToBootstrapKeepsEverythingElse() {
        let crashed = "# GALERA saved state\nversion: 2.1\nuuid:    \(Self.uuid)\nseqno:   -1\nsafe_to_bootstrap: 0\n"
        let edited = Grastate.settingSafeToBootstrap(in: crashed)
        #expect(edited == "# GALERA saved state\nversion: 2.1\nuuid:    \(Self.uuid)\nseqno:   -1\nsafe_to_bootstrap: 1\n")
        #expect(Grastate.settingSafeToBootstrap(in: "uuid: x\nseqno: 3") == "uuid: x\nseqno: 3\nsafe_to_bootstrap: 1\n")
    }

    @Test func recoveredPositionFromEitherTool() {
        let mariadbd = """
            2026-11-22  3:40:01 0 [Note] InnoDB: Starting crash recovery from checkpoint LSN=46846
            2026-11-22  3:40:01 0 [Note] WSREP: Recovered position: \(Self.uuid):1240
            """
        #expect(Grastate.recoveredPosition(in: mariadbd)! == (Self.uuid, 1240))
        #expect(Grastate.recoveredPosition(in: "--wsrep_start_position=\(Self.uuid):77")! == (Self.uuid, 77))
        #expect(Grastate.recoveredPosition(in: "WSREP: Recovered position: \(Self.uuid):-1")! == (Self.uuid, -1))
        #expect(Grastate.recoveredPosition(in: "InnoDB: Unable to lock ./ibdata1 error: 11") == nil)
    }

    // MARK: the plan

    static func stopped(_ node: String, _ seqno: Int64, safe: Bool = false, uuid: String = uuid) -> (node: String, position: Result<GaleraPosition, PlanInputError>) {
        (node, .success(GaleraPosition(node: node, running: false, uuid: uuid, seqno: seqno, safeToBootstrap: safe, source: .grastate)))
    }

    static func unreachable(_ node: String) -> (node: String, position: Result<GaleraPosition, PlanInputError>) {
        (node, .failure(PlanInputError("unreachable: connection refused")))
    }

    @Test("the highest seqno bootstraps; the others start after it in config order")
    func highestSeqno() {
        let plan = RecoveryPlan.make([Self.stopped("ctl1", 10), Self.stopped("ctl2", 12), Self.stopped("ctl3", 11)], force: false)
        #expect(plan == RecoveryPlan(bootstrap: "ctl2", others: ["ctl1", "ctl3"], problems: [], ignored: []))
    }

    @Test("ties: safe_to_bootstrap first, then config order")
    func ties() {
        #expect(RecoveryPlan.make([Self.stopped("ctl1", 12), Self.stopped("ctl2", 12, safe: true), Self.stopped("ctl3", 12)],
                                  force: false).bootstrap == "ctl2")
        #expect(RecoveryPlan.make([Self.stopped("ctl1", 12), Self.stopped("ctl2", 12), Self.stopped("ctl3", 12)],
                                  force: false).bootstrap == "ctl1")
    }

    @Test("an unreachable node refuses the plan; --force leaves it out and says so")
    func unreachableNode() {
        let answers = [Self.stopped("ctl1", 10), Self.unreachable("ctl2"), Self.stopped("ctl3", 9)]
        let refused = RecoveryPlan.make(answers, force: false)
        #expect(refused.refused)
        #expect(refused.problems == ["ctl2: unreachable: connection refused"])
        let forced = RecoveryPlan.make(answers, force: true)
        #expect(forced == RecoveryPlan(bootstrap: "ctl1", others: ["ctl3"], problems: [], ignored: ["ctl2: unreachable: connection refused"]))
    }

    @Test("different cluster UUIDs refuse, even with --force; a never-joined node does not count")
    func uuids() {
        let other = "11111111-2222-3333-4444-555555555555"
        let plan = RecoveryPlan.make([Self.stopped("ctl1", 10), Self.stopped("ctl2", 12, uuid: other)], force: true)
        #expect(plan.refused)
        #expect(plan.problems.first?.hasPrefix("cluster UUIDs differ") == true)
        let fresh = RecoveryPlan.make([Self.stopped("ctl1", 10), Self.stopped("ctl2", -1, uuid: Grastate.zeroUUID)], force: true)
        #expect(fresh.bootstrap == "ctl1")
        #expect(fresh.ignored.count == 1)
    }

    @Test("a running server refuses: Primary means no outage, non-Primary must be stopped first; --force does not override")
    func runningServers() {
        let primary = ("ctl1", Result<GaleraPosition, PlanInputError>.success(GaleraPosition(
            node: "ctl1", running: true, clusterStatus: "Primary", uuid: Self.uuid, seqno: 40, safeToBootstrap: false, source: .running)))
        let plan = RecoveryPlan.make([primary, Self.stopped("ctl2", 12)], force: true)
        #expect(plan.refused)
        #expect(plan.problems == ["ctl1: the server is running and Primary: this is not a full outage"])
        let nonPrimary = ("ctl3", Result<GaleraPosition, PlanInputError>.success(GaleraPosition(
            node: "ctl3", running: true, clusterStatus: "non-Primary", uuid: Self.uuid, seqno: 40, safeToBootstrap: false, source: .running)))
        #expect(RecoveryPlan.make([Self.stopped("ctl1", 12), nonPrimary], force: false).problems
                == ["ctl3: the server is running (non-Primary): stop it before recovering"])
    }

    @Test("nothing known: refused")
    func nothingKnown() {
        let unknown = ("ctl1", Result<GaleraPosition, PlanInputError>.success(GaleraPosition(
            node: "ctl1", running: false, uuid: nil, seqno: nil, safeToBootstrap: false, source: .unknown, error: "cannot read")))
        #expect(RecoveryPlan.make([unknown], force: false).problems == ["ctl1: position unknown (cannot read)"])
        #expect(RecoveryPlan.make([unknown], force: true).problems == ["no node has a known position"])
    }

    // MARK: local actions with real commands

    struct Datadir {
        let root: String
        init() throws {
            root = NSTemporaryDirectory() + "hactl-recovery-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: root + "/ctl2/data", withIntermediateDirectories: true)
        }
        func control(start: String = "true", bootstrap: String = "true", recover: String = "true") -> GaleraNodeControl {
            let config = GaleraConfig(user: "hactl", passwordFile: "/x", datadir: root + "/{node}/data",
                                      startCommand: start, bootstrapCommand: bootstrap, recoverCommand: recover)
            return GaleraNodeControl(node: "ctl2", config: config, directory: root, commandTimeout: .seconds(10))
        }
        func grastate(_ text: String) throws { try text.write(toFile: root + "/ctl2/data/grastate.dat", atomically: true, encoding: .utf8) }
        func cleanup() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test("a clean stop: the position comes from grastate.dat; the recover command does not run")
    func positionFromGrastate() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        try d.grastate(Self.cleanGrastate)
        let position = await d.control(recover: "touch ran-recover").position(running: false, clusterStatus: nil, lastCommitted: nil, uuid: nil)
        #expect(position == GaleraPosition(node: "ctl2", running: false, uuid: Self.uuid, seqno: 1234, safeToBootstrap: true, source: .grastate))
        #expect(!FileManager.default.fileExists(atPath: d.root + "/ran-recover"))
    }

    @Test("a crash (seqno -1): the recover command runs in the config directory with {node} replaced")
    func positionFromRecover() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        try d.grastate("uuid: \(Self.uuid)\nseqno: -1\nsafe_to_bootstrap: 0\n")
        let recover = "echo {node} > node.txt; echo 'noise'; echo '[Note] WSREP: Recovered position: \(Self.uuid):1240' >&2"
        let position = await d.control(recover: recover).position(running: false, clusterStatus: nil, lastCommitted: nil, uuid: nil)
        #expect(position == GaleraPosition(node: "ctl2", running: false, uuid: Self.uuid, seqno: 1240, safeToBootstrap: false, source: .wsrepRecover))
        #expect(try String(contentsOfFile: d.root + "/node.txt", encoding: .utf8) == "ctl2\n")
    }

    @Test("a recover command that fails or prints no position: unknown, with the reason")
    func recoverFails() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        try d.grastate("uuid: \(Self.uuid)\nseqno: -1\n")
        let failed = await d.control(recover: "echo 'InnoDB: Unable to lock ./ibdata1'; exit 1").position(running: false, clusterStatus: nil, lastCommitted: nil, uuid: nil)
        #expect(failed.source == .unknown)
        #expect(failed.error == "recover command `echo 'InnoDB: Unable to lock ./ibdata1'; exit 1` exited 1: InnoDB: Unable to lock ./ibdata1")
        let silent = await d.control(recover: "echo nothing").position(running: false, clusterStatus: nil, lastCommitted: nil, uuid: nil)
        #expect(silent.error?.hasPrefix("recover command printed no position (exit 0)") == true)
        try FileManager.default.removeItem(atPath: d.root + "/ctl2/data/grastate.dat")
        let missing = await d.control().position(running: false, clusterStatus: nil, lastCommitted: nil, uuid: nil)
        #expect(missing.error?.hasPrefix("cannot read \(d.root)/ctl2/data/grastate.dat") == true)
    }

    @Test("a running server: its position is the probe's, grastate is only read")
    func runningPosition() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        try d.grastate("uuid: \(Self.uuid)\nseqno: -1\nsafe_to_bootstrap: 0\n")
        let position = await d.control(recover: "exit 99").position(running: true, clusterStatus: "Primary", lastCommitted: 55, uuid: Self.uuid)
        #expect(position == GaleraPosition(node: "ctl2", running: true, clusterStatus: "Primary", uuid: Self.uuid, seqno: 55,
                                           safeToBootstrap: false, source: .running))
    }

    @Test("bootstrap marks grastate safe_to_bootstrap, then runs the bootstrap command")
    func bootstrapMarksGrastate() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        try d.grastate("uuid: \(Self.uuid)\nseqno: 7\nsafe_to_bootstrap: 0\n")
        let result = await d.control(bootstrap: "grep -q 'safe_to_bootstrap: 1' {node}/data/grastate.dat").bootstrap()
        #expect((try? result.get()) != nil)
        let failed = await d.control(bootstrap: "echo 'WSREP: failed to open gcomm backend'; exit 1").bootstrap()
        guard case .failure(let error) = failed else { Issue.record("expected a failure"); return }
        #expect(error.description == "bootstrap command `echo 'WSREP: failed to open gcomm backend'; exit 1` exited 1: WSREP: failed to open gcomm backend")
    }

    @Test("one action at a time: a second one while the first runs is refused as busy")
    func busy() async throws {
        let d = try Datadir()
        defer { d.cleanup() }
        let control = d.control(start: "touch started; while [ ! -e go ]; do sleep 0.01; done")
        let first = Task { await control.run(.start) }
        // Bounded wait until the first action runs its command (it holds the node from before that).
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: d.root + "/started") {
            try await Task.sleep(for: .milliseconds(10))
        }
        let second = await control.run(.stop)
        guard case .failure(.busy(let other)) = second else { Issue.record("expected busy, got \(second)"); return }
        #expect(other == .start)
        #expect(FileManager.default.createFile(atPath: d.root + "/go", contents: nil))
        #expect((try? await first.value.get()) != nil)
    }
}
