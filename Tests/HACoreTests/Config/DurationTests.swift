import Testing

@testable import HACore

@Suite struct DurationTests {
    @Test(arguments: [
        ("200ms", Duration.milliseconds(200)), ("1.5s", .milliseconds(1500)), ("2m", .seconds(120)),
        ("1h", .seconds(3600)), ("0s", .zero), ("0ms", .zero), ("40.95s", .milliseconds(40950)),
        ("0.5ms", .microseconds(500)), ("1.000000001s", .nanoseconds(1_000_000_001)), ("1.50s", .milliseconds(1500)),
        ("007s", .seconds(7)), ("0.25m", .seconds(15)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(parseDuration(text) == expected)
    }

    @Test(arguments: ["5", "5 s", "5sec", "s", "1.s", ".5s", "-1s", "+1s", "1e3ms", "1m30s", "", "ms", "5S", "1.0000000001s",
                      "9999999999999999999h"])
    func refuses(_ text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test func failuresSayWhy() {
        #expect(DurationSyntax.parse("5") == .failure(.syntax))
        #expect(DurationSyntax.parse("0.1234567891s") == .failure(.finerThanNanosecond))
        #expect(DurationSyntax.parse("9999999999h") == .failure(.tooLarge))
    }

    @Test(arguments: [
        (Duration.zero, "0s"), (.milliseconds(200), "200ms"), (.seconds(5), "5s"), (.milliseconds(1500), "1.5s"),
        (.milliseconds(40950), "40.95s"), (.seconds(120), "2m"), (.seconds(7200), "2h"), (.seconds(90), "90s"),
        (.microseconds(500), "0.5ms"), (.nanoseconds(1), "0.000001ms"), (.nanoseconds(1_000_000_001), "1.000000001s"),
        (.milliseconds(-200), "-200ms"), (.seconds(59), "59s"),
    ])
    func formats(_ duration: Duration, _ expected: String) {
        #expect(formatDuration(duration) == expected)
    }

    @Test func formatReadsBack() {
        for nanoseconds: Int64 in [1, 999, 1_000_000, 10_000_000, 1_234_567_890, 60_000_000_000, 61_500_000_000, 86_400_000_000_000] {
            let duration = Duration.nanoseconds(nanoseconds)
            #expect(parseDuration(formatDuration(duration)) == duration)
        }
    }
}
