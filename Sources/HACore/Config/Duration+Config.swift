/// Parses a config duration: a decimal number and a unit, `ms`, `s`, `m` or `h` (`200ms`, `1.5s`, `2m`).
///
/// A bare number, an unknown unit, a sign, spaces, or a value finer than a nanosecond is `nil`.
public func parseDuration(_ text: String) -> Duration? {
    if case .success(let duration) = DurationSyntax.parse(text) { return duration }
    return nil
}

/// Renders a duration the way the config writes it, in the largest unit that keeps it exact:
/// `0s`, `200ms`, `1.5s`, `40.95s`, `2m`, `1h`, `90s`. `parseDuration` reads every output back.
public func formatDuration(_ duration: Duration) -> String {
    let nanos = DurationSyntax.nanoseconds(duration)
    if nanos == 0 { return "0s" }
    if nanos < 0 { return "-" + formatDuration(.nanoseconds(Int64(clamping: -nanos))) }
    let hour: Int128 = 3_600_000_000_000, minute: Int128 = 60_000_000_000, second: Int128 = 1_000_000_000
    if nanos % hour == 0 { return "\(nanos / hour)h" }
    if nanos % minute == 0 { return "\(nanos / minute)m" }
    if nanos >= second { return DurationSyntax.decimal(nanos, scale: 9) + "s" }
    return DurationSyntax.decimal(nanos, scale: 6) + "ms"
}

/// The grammar behind `parseDuration`, with the reason a string is refused (for config messages).
enum DurationSyntax {
    enum Failure: Error, Equatable {
        case syntax
        case finerThanNanosecond
        case tooLarge
    }

    static let units: [(suffix: String, nanoseconds: Int128)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    static func parse(_ text: String) -> Result<Duration, Failure> {
        let digitsEnd = text.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? text.endIndex
        let number = text[..<digitsEnd]
        guard let unit = units.first(where: { $0.suffix == text[digitsEnd...] }) else { return .failure(.syntax) }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isNumber) else { return .failure(.syntax) }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy(\.isNumber)) else {
            return .failure(.syntax)
        }
        while fraction.last == "0" { fraction = fraction.dropLast() }
        guard whole.count <= 18, fraction.count <= 18 else {
            return .failure(whole.count > 18 ? .tooLarge : .finerThanNanosecond)
        }
        let scale = (0..<fraction.count).reduce(Int128(1)) { value, _ in value * 10 }
        let fractionNanos = (Int128(fraction) ?? 0) * unit.nanoseconds
        guard fractionNanos % scale == 0 else { return .failure(.finerThanNanosecond) }
        let nanos = Int128(whole)! * unit.nanoseconds + fractionNanos / scale
        guard nanos <= Int128(Int64.max) else { return .failure(.tooLarge) }
        return .success(.nanoseconds(Int64(nanos)))
    }

    /// `value / 10^scale` as a decimal without trailing zeros.
    static func decimal(_ value: Int128, scale: Int) -> String {
        let divisor = (0..<scale).reduce(Int128(1)) { value, _ in value * 10 }
        let whole = value / divisor
        var fraction = String(value % divisor)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }

    /// Total nanoseconds of a duration (config durations are whole nanoseconds).
    static func nanoseconds(_ duration: Duration) -> Int128 {
        let (seconds, attoseconds) = duration.components
        return Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
    }
}
