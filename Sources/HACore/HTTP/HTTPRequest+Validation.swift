extension HTTPRequest {
    /// Rejects what curl would either refuse late or send verbatim: header injection through CR/LF,
    /// credentials embedded in the URL (they would end up in logs), non-HTTP schemes.
    func validate() throws(HTTPClientError) {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw .invalidRequest("method is not an HTTP token")
        }
        try validateURL()
        for header in headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw .invalidRequest("header name \(header.name.debugDescription) is not an HTTP token")
            }
            guard header.value.utf8.allSatisfy(Self.isFieldValueByte) else {
                throw .invalidRequest("header \(header.name) has a control character in its value")
            }
        }
        guard connectTimeout > .zero, timeout > .zero else {
            throw .invalidRequest("timeouts must be positive")
        }
        guard maxResponseBytes > 0 else {
            throw .invalidRequest("maxResponseBytes must be positive")
        }
    }

    private func validateURL() throws(HTTPClientError) {
        let lower = url.lowercased()
        guard let schemeEnd = ["http://", "https://"].first(where: lower.hasPrefix) else {
            throw .invalidRequest("URL must start with http:// or https://")
        }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .invalidRequest("URL contains a space or control character")
        }
        let rest = url.utf8.dropFirst(schemeEnd.utf8.count)
        let authority = rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        guard !authority.isEmpty else {
            throw .invalidRequest("URL has no host")
        }
        guard !authority.contains(UInt8(ascii: "@")) else {
            throw .invalidRequest("credentials in the URL are not accepted; use basicAuth")
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Visible characters, space, tab and obs-text; no CR, LF, NUL or DEL.
    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }
}
