import HACore
import Testing

@Suite struct CheckResultTests {
    @Test func severityOrder() {
        #expect(HealthStatus.passing < .warning)
        #expect(HealthStatus.warning < .critical)
        #expect([HealthStatus.critical, .passing, .warning].max() == .critical)
        #expect(HealthStatus.allCases.map(\.rawValue) == ["passing", "warning", "critical"])
    }

    @Test func reasonsAreOneLine() {
        let result = CheckResult.critical("line one\nline two\r\nthree", at: .zero)
        #expect(result.reason == "line one line two three")
        #expect(!result.reason.contains { $0.isNewline })
    }

    @Test func factories() {
        let t = HealthTesting.at(2)
        #expect(CheckResult.passing(at: t) == CheckResult(status: .passing, reason: "", at: t))
        #expect(CheckResult.warning("slow", at: t).status == .warning)
        #expect(CheckResult.critical("down", at: t).reason == "down")
    }

    @Test func instantArithmetic() {
        let a = HealthTesting.at(1.5)
        #expect(a.nanoseconds == 1_500_000_000)
        #expect(a + .milliseconds(500) == HealthTesting.at(2))
        #expect(a - .milliseconds(500) == HealthTesting.at(1))
        #expect(HealthTesting.at(2) - a == .milliseconds(500))
        #expect(a.duration(to: .zero) == .milliseconds(-1500))
        #expect(MonotonicInstant.distantFuture + .seconds(1) == .distantFuture)
        #expect(a.description == "1.5s")
        #expect(HealthTesting.at(3).description == "3s")
    }
}
