import Foundation
import HACore
import Testing
@testable import GaleraProbe

/// Numbers in a peer's (or an agent's, for the CLI) report are untrusted: decoding bounds them before
/// any `Duration` arithmetic, so no value a peer sends can trap the reader.
@Suite("GaleraReport number bounds")
struct GaleraReportBoundsTests {
    static func json(_ passingFor: String, age: String = "0.5", statusAge: String = "0.5") -> Data {
        Data("""
            {"node":"ctl2","status":"passing","reason":"ok","passing_for_seconds":\(passingFor),"age_seconds":\(age),
             "status_age_seconds":\(statusAge),"writer":"ctl2","wsrep":{"wsrep_cluster_status":"Primary"}}
            """.utf8)
    }

    @Test("huge, negative, tiny and Int64-boundary seconds decode to absent or clamped values",
          arguments: [
            ("1e300", GaleraReport.maxSeconds), ("-1", nil), ("-0.0", 0), ("0", 0), ("1.5", 1.5),
            ("86400", 86_400), ("86400.001", GaleraReport.maxSeconds), ("9223372036854775807", GaleraReport.maxSeconds),
            ("9223372036854775.808", GaleraReport.maxSeconds), ("-9223372036854775808", nil), ("1.7976931348623157e308", GaleraReport.maxSeconds),
            ("5e-324", .leastNonzeroMagnitude), ("null", nil),
          ] as [(String, Double?)])
    func decodeBounded(_ raw: String, _ expected: Double?) throws {
        let report = try JSONDecoder().decode(GaleraReport.self, from: Self.json(raw, age: raw, statusAge: raw))
        #expect(report.passingForSeconds == expected)
        #expect(report.ageSeconds == expected)
        #expect(report.statusAgeSeconds == expected)
        // Arithmetic on the decoded value never traps.
        let now = MonotonicInstant(nanoseconds: 5_000_000_000)
        if let duration = GaleraReport.boundedDuration(report.passingForSeconds) {
            #expect(duration <= .seconds(86_400))
            _ = now - duration
        }
    }

    @Test("non-finite values (which JSON cannot carry, but a decoder or a caller may hand over) are absent")
    func nonFinite() {
        for value in [Double.nan, .infinity, -.infinity, -Double.leastNonzeroMagnitude, -1e300] {
            #expect(GaleraReport.boundedSeconds(value) == nil, "\(value)")
            #expect(GaleraReport.boundedDuration(value) == nil, "\(value)")
        }
        #expect(GaleraReport.boundedDuration(1e300) == .seconds(86_400))
        #expect(GaleraReport.boundedDuration(Double(Int64.max)) == .seconds(86_400))
        #expect(GaleraReport.boundedDuration(0.0015) == .milliseconds(2))
    }

    @Test("a number too large for JSON's double fails the decode (the peer counts as unheard), it does not trap")
    func beyondDouble() {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(GaleraReport.self, from: Self.json("1e400")) }
    }

    @Test("status is current only when read by the latest probe, within the window")
    func current() throws {
        var report = try JSONDecoder().decode(GaleraReport.self, from: Self.json("10"))
        #expect(report.statusIsCurrent(window: .seconds(3)))
        report.statusAgeSeconds = 2.5
        report.ageSeconds = 0.2
        #expect(!report.statusIsCurrent(window: .seconds(3)), "left over from before the server stopped answering")
        report.statusAgeSeconds = 4
        report.ageSeconds = 4
        #expect(!report.statusIsCurrent(window: .seconds(3)), "too old")
        report.statusAgeSeconds = nil
        #expect(!report.statusIsCurrent(window: .seconds(3)))
    }

    @Test("drained round-trips; absent (an older agent) decodes as nil")
    func drained() throws {
        let report = GaleraReport(node: "ctl1", status: .passing, reason: "ok", passingForSeconds: 1, ageSeconds: 0,
                                  wsrep: nil, statusAgeSeconds: nil, writer: nil, drained: true)
        let decoded = try JSONDecoder().decode(GaleraReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
        #expect(try JSONDecoder().decode(GaleraReport.self, from: Self.json("1")).drained == nil)
    }
}
