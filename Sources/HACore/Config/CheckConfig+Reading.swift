extension ConfigReader {
    /// Track names that mean a module's verdict rather than a local check.
    static let moduleVerdicts = ["galera", "rabbitmq"]

    func readChecks(_ value: ConfigValue) -> [CheckConfig]? {
        guard let map = fields(value) else { return nil }
        checkNames = map.entries.map(\.key)
        let checks = map.entries.map(readCheck)
        return checks.contains { $0 == nil } ? nil : checks.compactMap { $0 }
    }

    private func readCheck(_ entry: ConfigFields.Entry) -> CheckConfig? {
        checkName(entry.key, kind: "check", at: entry.keyPosition)
        if Self.moduleVerdicts.contains(entry.key) {
            report(entry.keyPosition, "check name \(configQuote(entry.key)) is reserved for the \(entry.key) module's verdict; pick another name")
        }
        guard let map = fields(entry.value) else { return nil }
        map.rejectUnknownKeys(allowed: ["tcp", "http", "expect", "interval", "timeout", "rise", "fall"])
        let kind = readCheckKind(map)
        let interval = map.optional("interval", positiveDuration) ?? .seconds(2)
        let timeout = map.optional("timeout", positiveDuration) ?? .seconds(1)
        if timeout > interval, let position = map["timeout"]?.position ?? map["interval"]?.position {
            report(position, "timeout (\(formatDuration(timeout))) must not exceed interval (\(formatDuration(interval)))")
        }
        let rise = map.optional("rise", int(in: 1...100)) ?? 2
        let fall = map.optional("fall", int(in: 1...100)) ?? 3
        guard let kind else { return nil }
        return CheckConfig(name: entry.key, kind: kind, interval: interval, timeout: timeout, rise: rise, fall: fall)
    }

    private func readCheckKind(_ map: ConfigFields) -> CheckKind? {
        switch (map["tcp"], map["http"]) {
        case (let tcp?, nil):
            if let position = map.position(of: "expect") {
                report(position, "expect is only valid with http")
            }
            return tcpTarget(tcp)
        case (nil, let http?):
            let expect = map.optional("expect", int(in: 100...599)) ?? 200
            return url(http).map { CheckKind.http(url: $0, expectStatus: expect) }
        case (.some, .some):
            report(map.position(of: "http") ?? map.anchor, "a check needs exactly one of tcp or http, not both")
            return nil
        case (nil, nil):
            report(map.anchor, "missing required key \"tcp\" or \"http\" \(configLocation(map.path))")
            return nil
        }
    }

    /// `HOST:PORT` with a literal address; IPv6 in brackets.
    private func tcpTarget(_ value: ConfigValue) -> CheckKind? {
        guard let text = string(value) else { return nil }
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"),
           text[text.index(after: close)...].hasPrefix(":") {
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            report(value, "bad tcp target \(configQuote(text)): expected HOST:PORT (e.g. 127.0.0.1:3306 or \"[::1]:3306\")")
            return nil
        }
        guard let address = IPAddress(String(host)) else {
            report(value, "bad address \(configQuote(String(host)))")
            return nil
        }
        guard port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number) else {
            report(value, "tcp port must be between 1 and 65535, got \(configQuote(String(port)))")
            return nil
        }
        return .tcp(host: address, port: number)
    }
}
