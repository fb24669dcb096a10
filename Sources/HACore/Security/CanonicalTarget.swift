/// The agent accepts only canonical HTTP request targets, so what a signature covers (the raw target)
/// and what the router matches (its normalised path) can never differ: `//v1/node/drain`,
/// `/v1/./node/drain` or `/v1%2Fnode/drain` are refused with 400 before authentication and routing.
///
/// Canonical (checked on the raw bytes, nothing decoded first):
/// - origin form: starts with `/` (no `*`, no `http://host/...`), at most `maxLength` bytes;
/// - only printable ASCII (0x21...0x7E), no `#`, no `\`;
/// - the path (before `?`) is `/` or `/`-separated non-empty segments, none `.` or `..` (so no `//`
///   and no trailing `/`);
/// - `%` is followed by two hex digits; in the path it never encodes `/`, `\`, `.`, an unreserved
///   character (letters, digits, `-`, `_`, `~`: RFC 3986 §6.2.2.2 says those are written plain)
///   or a control character. The query is only checked for characters and `%` syntax.
///
/// A pure function of its input (never traps, O(length)), public for fuzzing.
public enum CanonicalTarget {
    public static let maxLength = 1024

    /// Why a target was refused. `rawValue` is a bounded metric label; `reason` the one-line answer.
    public enum Rejection: String, Error, Sendable, CaseIterable {
        case empty
        case tooLong = "too_long"
        case notOriginForm = "not_origin_form"
        case badCharacter = "bad_character"
        case backslash
        case emptySegment = "empty_segment"
        case dotSegment = "dot_segment"
        case badPercent = "bad_percent"
        case encodedCharacter = "encoded_character"

        public var reason: String {
            switch self {
            case .empty: "empty request target"
            case .tooLong: "request target over \(CanonicalTarget.maxLength) bytes"
            case .notOriginForm: "request target must start with /"
            case .badCharacter: "request target has a character outside printable ASCII, or #"
            case .backslash: "request target has a backslash"
            case .emptySegment: "request path has an empty segment (// or a trailing /)"
            case .dotSegment: "request path has a . or .. segment"
            case .badPercent: "request target has a malformed %-escape"
            case .encodedCharacter: "request path %-encodes /, \\, ., a control or an unreserved character"
            }
        }
    }

    public static func check(_ target: String) -> Result<Void, Rejection> {
        var bytes: [UInt8] = []
        for byte in target.utf8 {
            guard bytes.count < maxLength else { return .failure(.tooLong) }
            bytes.append(byte)
        }
        return check(bytes: bytes)
    }

    public static func check(bytes: [UInt8]) -> Result<Void, Rejection> {
        guard let first = bytes.first else { return .failure(.empty) }
        guard bytes.count <= maxLength else { return .failure(.tooLong) }
        guard first == UInt8(ascii: "/") else { return .failure(.notOriginForm) }
        for byte in bytes {
            if byte == UInt8(ascii: "\\") { return .failure(.backslash) }
            if byte < 0x21 || byte > 0x7E || byte == UInt8(ascii: "#") { return .failure(.badCharacter) }
        }
        let pathEnd = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        let path = bytes[..<pathEnd]
        // Percent syntax everywhere; the decoded byte matters only in the path.
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else {
                    return .failure(.badPercent)
                }
                if i < pathEnd, isForbiddenEncoded(hi << 4 | lo) { return .failure(.encodedCharacter) }
                i += 3
            } else {
                i += 1
            }
        }
        guard path.count > 1 else { return .success(()) }   // "/" (or "/?query")
        for segment in path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return .failure(.emptySegment) }
            if segment.elementsEqual([UInt8(ascii: ".")]) || segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                return .failure(.dotSegment)
            }
        }
        return .success(())
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// `/`, `\`, `.`, controls, DEL and the unreserved characters must not hide behind `%`.
    private static func isForbiddenEncoded(_ b: UInt8) -> Bool {
        if b < 0x20 || b == 0x7F { return true }
        switch b {
        case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}
