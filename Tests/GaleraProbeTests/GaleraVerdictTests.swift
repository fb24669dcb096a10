import HACore
import Testing
@testable import GaleraProbe

@Suite("GaleraVerdict")
struct GaleraVerdictTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var capture: String
        var donorAllowed = false
        var readOnlyAllowed = false
        var status: HealthStatus
        var reason: String

        var testDescription: String { name }
    }

    static let joining = CapturedRows.derived(CapturedRows.synced, [
        "wsrep_local_state": "1", "wsrep_local_state_comment": "Joining: receiving State Transfer",
    ])
    static let joined = CapturedRows.derived(CapturedRows.synced, [
        "wsrep_local_state": "3", "wsrep_local_state_comment": "Joined",
    ])
    static let notReady = CapturedRows.derived(CapturedRows.synced, ["wsrep_ready": "OFF"])
    static let notConnected = CapturedRows.derived(CapturedRows.synced, ["wsrep_connected": "OFF"])
    static let disconnected = CapturedRows.derived(CapturedRows.standalone, ["wsrep_on": "ON"])
    static let rejectAllKill = CapturedRows.derived(CapturedRows.synced, ["wsrep_reject_queries": "ALL_KILL"])
    static let readOnlyDesynced = CapturedRows.derived(CapturedRows.readOnly, [
        "wsrep_local_state": "2", "wsrep_local_state_comment": "Donor/Desynced",
    ])

    static let table: [Row] = [
        Row(name: "synced", capture: CapturedRows.synced, status: .passing, reason: ""),
        Row(name: "synced, single node", capture: CapturedRows.syncedSingle, status: .passing, reason: ""),
        Row(name: "synced, every flag on", capture: CapturedRows.synced, donorAllowed: true, readOnlyAllowed: true,
            status: .passing, reason: ""),
        Row(name: "donor during SST", capture: CapturedRows.donorDuringSST, status: .critical, reason: "donor/desynced"),
        Row(name: "donor during SST, available_when_donor", capture: CapturedRows.donorDuringSST, donorAllowed: true,
            status: .passing, reason: "donor/desynced, allowed by available_when_donor"),
        Row(name: "wsrep_desync=ON", capture: CapturedRows.desynced, status: .critical, reason: "donor/desynced"),
        Row(name: "wsrep_desync=ON, available_when_donor", capture: CapturedRows.desynced, donorAllowed: true,
            status: .passing, reason: "donor/desynced, allowed by available_when_donor"),
        Row(name: "desynced, donor rejects queries", capture: CapturedRows.desyncedDonorRejects,
            status: .critical, reason: "donor/desynced"),
        Row(name: "desynced, donor rejects queries, available_when_donor", capture: CapturedRows.desyncedDonorRejects,
            donorAllowed: true, status: .critical, reason: "donor/desynced (wsrep_sst_donor_rejects_queries=ON)"),
        Row(name: "joining (derived)", capture: joining, donorAllowed: true, status: .critical, reason: "joining"),
        Row(name: "joined (derived)", capture: joined, donorAllowed: true, status: .critical, reason: "joined"),
        Row(name: "non-Primary", capture: CapturedRows.nonPrimary, status: .critical,
            reason: "non-Primary (cluster_status=non-Primary)"),
        Row(name: "disconnected (derived)", capture: disconnected, status: .critical,
            reason: "not a Galera node (wsrep_provider=none)"),
        Row(name: "not ready (derived)", capture: notReady, status: .critical, reason: "not ready"),
        Row(name: "not connected (derived)", capture: notConnected, status: .critical, reason: "not connected"),
        Row(name: "wsrep_reject_queries=ALL", capture: CapturedRows.rejectAll, donorAllowed: true, readOnlyAllowed: true,
            status: .critical, reason: "rejecting queries (wsrep_reject_queries=ALL)"),
        Row(name: "wsrep_reject_queries=ALL_KILL (derived)", capture: rejectAllKill, status: .critical,
            reason: "rejecting queries (wsrep_reject_queries=ALL_KILL)"),
        Row(name: "read_only", capture: CapturedRows.readOnly, status: .critical, reason: "read-only"),
        Row(name: "read_only, available_when_readonly", capture: CapturedRows.readOnly, readOnlyAllowed: true,
            status: .passing, reason: "read-only, allowed by available_when_readonly"),
        Row(name: "read_only and desynced, only donor allowed (derived)", capture: readOnlyDesynced, donorAllowed: true,
            status: .critical, reason: "read-only"),
        Row(name: "read_only and desynced, both allowed (derived)", capture: readOnlyDesynced, donorAllowed: true,
            readOnlyAllowed: true, status: .passing, reason: "donor/desynced, allowed by available_when_donor"),
        Row(name: "no Galera", capture: CapturedRows.standalone, donorAllowed: true, readOnlyAllowed: true,
            status: .critical, reason: "not a Galera node (wsrep_on=OFF)"),
    ]

    @Test("verdict for every captured state", arguments: table)
    func verdict(_ row: Row) {
        var config = GaleraConfig(user: "hactl", passwordFile: "/etc/hactl/galera.pass")
        config.availableWhenDonor = row.donorAllowed
        config.availableWhenReadonly = row.readOnlyAllowed
        let verdict = GaleraVerdict.evaluate(CapturedRows.status(row.capture), config: config)
        #expect(verdict.status == row.status)
        #expect(verdict.reason == row.reason)
    }

    @Test("an empty status (nothing reported) is not a Galera node")
    func empty() {
        let config = GaleraConfig(user: "hactl", passwordFile: "/x")
        #expect(GaleraVerdict.evaluate(GaleraStatus(), config: config) == .critical("not a Galera node (wsrep_on=unknown)"))
    }

    @Test("an unknown local state is named with its comment")
    func unknownState() {
        let capture = CapturedRows.derived(CapturedRows.synced, [
            "wsrep_local_state": "0", "wsrep_local_state_comment": "Initialized",
        ])
        let config = GaleraConfig(user: "hactl", passwordFile: "/x")
        #expect(GaleraVerdict.evaluate(CapturedRows.status(capture), config: config)
            == .critical("not synced (wsrep_local_state=0: Initialized)"))
    }

    @Test("timeout and error reasons", arguments: [
        (GaleraVerdict.timeout(after: .seconds(2)), "probe timeout after 2s"),
        (GaleraVerdict.timeout(after: .milliseconds(1500)), "probe timeout after 1.5s"),
        (GaleraVerdict.failed(GaleraError(stage: .connect, code: 2002, sqlState: "HY000",
                                          message: "Can't connect to server on '127.0.0.1' (111)")),
         "connect: Can't connect to server on '127.0.0.1' (111) (errno 2002)"),
        (GaleraVerdict.failed(GaleraError(stage: .query, code: 2013, message: "Lost connection to server during query")),
         "query: Lost connection to server during query (errno 2013)"),
        (GaleraVerdict.failed(GaleraError(stage: .password, message: "secret file /x: No such file or directory")),
         "password: secret file /x: No such file or directory"),
    ])
    func failureReasons(_ verdict: GaleraVerdict, _ reason: String) {
        #expect(verdict.status == .critical)
        #expect(verdict.reason == reason)
    }

    @Test("a verdict becomes a check result at the given instant")
    func result() {
        let at = MonotonicInstant(nanoseconds: 5_000_000_000)
        #expect(GaleraVerdict.critical("read-only").result(at: at) == .critical("read-only", at: at))
        #expect(GaleraVerdict.passing().result(at: at) == .passing(at: at))
    }
}
