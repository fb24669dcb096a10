import Foundation
import Yams

/// Decoders for single values. Each reports its own problem and returns nil, so callers only
/// combine results.
extension ConfigReader {
    /// Any non-empty scalar, as written.
    func string(_ value: ConfigValue) -> String? {
        guard let text = value.scalarText else {
            report(value, "expected a string for \(value.name), got \(value.described)")
            return nil
        }
        guard !text.isEmpty else {
            report(value, "\(value.name) must not be empty")
            return nil
        }
        return text
    }

    /// A decimal integer written without quotes.
    func int(_ value: ConfigValue) -> Int? {
        guard value.isPlain, let text = value.scalarText, let number = Int(text) else {
            report(value, "expected an integer for \(value.name), got \(value.described)")
            return nil
        }
        return number
    }

    /// An integer in `range`.
    func int(in range: ClosedRange<Int>) -> (ConfigValue) -> Int? {
        { value in
            guard let number = self.int(value) else { return nil }
            guard range.contains(number) else {
                self.report(value, "\(value.name) must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
                return nil
            }
            return number
        }
    }

    /// A TCP/UDP port, 1...65535.
    func port(_ value: ConfigValue) -> Int? {
        int(in: 1...65535)(value)
    }

    /// `true` or `false` (any capitalisation YAML allows); `yes`/`on` are refused as ambiguous.
    func bool(_ value: ConfigValue) -> Bool? {
        switch value.isPlain ? value.scalarText : nil {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            report(value, "expected true or false for \(value.name), got \(value.described)")
            return nil
        }
    }

    /// A duration string with a unit; zero allowed.
    func duration(_ value: ConfigValue) -> Duration? {
        guard let text = value.scalarText else {
            report(value, "expected a duration for \(value.name), got \(value.described)")
            return nil
        }
        switch DurationSyntax.parse(text) {
        case .success(let duration):
            return duration
        case .failure(.syntax):
            report(value, "bad duration \(configQuote(text)): expected a number with a unit (ms, s, m, h)")
        case .failure(.finerThanNanosecond):
            report(value, "bad duration \(configQuote(text)): finer than a nanosecond")
        case .failure(.tooLarge):
            report(value, "bad duration \(configQuote(text)): too large")
        }
        return nil
    }

    /// A duration greater than zero.
    func positiveDuration(_ value: ConfigValue) -> Duration? {
        guard let duration = duration(value) else { return nil }
        guard duration > .zero else {
            report(value, "\(value.name) must be greater than 0")
            return nil
        }
        return duration
    }

    /// An IPv4 or IPv6 address (no prefix, no host name).
    func address(_ value: ConfigValue) -> IPAddress? {
        guard let text = value.scalarText else {
            report(value, "expected an address for \(value.name), got \(value.described)")
            return nil
        }
        guard let address = IPAddress(text) else {
            report(value, "bad address \(configQuote(text))")
            return nil
        }
        return address
    }

    /// `ADDRESS/PREFIX`, or a bare address meaning a host prefix.
    func network(_ value: ConfigValue) -> IPNetwork? {
        guard let text = value.scalarText else {
            report(value, "expected an address with a prefix length for \(value.name), got \(value.described)")
            return nil
        }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else {
            report(value, "bad address \(configQuote(text))")
            return nil
        }
        guard let network = IPNetwork(text) else {
            let family = address.isIPv4 ? "IPv4" : "IPv6"
            report(value, "bad prefix length in \(configQuote(text)): must be 0 to \(address.bitWidth) for \(family)")
            return nil
        }
        return network
    }

    /// A list whose elements all decode; nil (after reporting each bad element) otherwise.
    func list<T>(_ element: @escaping (ConfigValue) -> T?) -> (ConfigValue) -> [T]? {
        { value in
            guard case .sequence = value.node else {
                self.report(value, "expected a list for \(value.name), got \(value.described)")
                return nil
            }
            let decoded = value.elements.map(element)
            return decoded.contains { $0 == nil } ? nil : decoded.compactMap { $0 }
        }
    }

    /// A non-empty list.
    func nonEmptyList<T>(_ element: @escaping (ConfigValue) -> T?) -> (ConfigValue) -> [T]? {
        { value in
            guard let items = self.list(element)(value) else { return nil }
            guard !items.isEmpty else {
                self.report(value, "\(value.name) must not be empty")
                return nil
            }
            return items
        }
    }

    /// A string from a fixed set.
    func oneOf(_ choices: [String]) -> (ConfigValue) -> String? {
        { value in
            guard let text = self.string(value) else { return nil }
            guard choices.contains(text) else {
                self.report(value, "\(value.name) must be one of \(choices.joined(separator: ", ")), got \(configQuote(text))")
                return nil
            }
            return text
        }
    }

    /// An absolute path.
    func absolutePath(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard text.hasPrefix("/") else {
            report(value, "\(value.name) must be an absolute path, got \(configQuote(text))")
            return nil
        }
        return text
    }

    /// A filesystem path; a relative one is resolved against the config file's directory.
    func path(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard !text.isEmpty else {
            report(value, "\(value.name) must not be empty")
            return nil
        }
        return ConfigPath.resolve(text, against: directory)
    }

    /// A shell command (run with `/bin/sh -c`): not empty, one line.
    func shellCommand(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, !text.contains("\n") else {
            report(value, "\(value.name) must be one non-empty command line, got \(configQuote(text))")
            return nil
        }
        return text
    }

    /// A name used in URLs, node names and the CLI: letters, digits, `.`, `-`, `_`, starting with a
    /// letter or digit, at most 63 long.
    func isValidName(_ name: String) -> Bool {
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard let first = name.unicodeScalars.first, isAlphanumeric(first), name.unicodeScalars.count <= 63 else {
            return false
        }
        return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || "._-".unicodeScalars.contains($0) }
    }

    /// Reports a name that `isValidName` refuses.
    func checkName(_ name: String, kind: String, at position: SourcePosition) {
        guard !isValidName(name) else { return }
        report(position, "bad \(kind) name \(configQuote(name)): use letters, digits, \".\", \"-\" and \"_\", starting with a letter or digit (at most 63)")
    }
}
