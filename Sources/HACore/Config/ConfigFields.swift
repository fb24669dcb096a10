import Yams

/// A YAML mapping being read: its keys in file order without repeats, and where to report a missing one.
struct ConfigFields {
    struct Entry {
        let key: String
        let keyPosition: SourcePosition
        let value: ConfigValue
    }

    let reader: ConfigReader
    /// The mapping's path in messages (`cluster`, `vips[0]`); empty at the top level.
    let path: String
    /// Where a missing key is reported: the mapping's own key, or the mapping itself in a list.
    let anchor: SourcePosition
    /// First occurrence of every key, in file order (repeats are reported and dropped).
    let entries: [Entry]

    /// Keys that hold a secret inline, and the key to use instead.
    static let inlineSecretKeys = [
        "password": "password_file", "passwd": "password_file", "auth_pass": "auth_pass_file",
        "secret": "secret_file",
    ]

    subscript(key: String) -> ConfigValue? {
        entries.first { $0.key == key }?.value
    }

    func position(of key: String) -> SourcePosition? {
        entries.first { $0.key == key }?.keyPosition
    }

    /// Reports every key not in `allowed`, suggesting the nearest allowed one; inline secrets get
    /// their own message (which never repeats the value).
    func rejectUnknownKeys(allowed: [String]) {
        for entry in entries where !allowed.contains(entry.key) {
            reader.report(entry.keyPosition, ConfigFields.unknownKeyMessage(entry.key, in: path, allowed: allowed))
        }
    }

    static func unknownKeyMessage(_ key: String, in path: String, allowed: [String]) -> String {
        if let replacement = inlineSecretKeys[key] {
            return "inline secrets are not allowed; use \(replacement)"
        }
        var message = "unknown key \(configQuote(key)) \(configLocation(path))"
        if let guess = suggestion(for: key, among: allowed) {
            message += "; did you mean \(configQuote(guess))?"
        }
        return message
    }

    /// Decodes `key` if present; nil if absent or broken (broken values are reported by `decode`).
    func optional<T>(_ key: String, _ decode: (ConfigValue) -> T?) -> T? {
        self[key].flatMap(decode)
    }

    /// Decodes `key`, reporting it missing at `anchor` if absent.
    func required<T>(_ key: String, _ decode: (ConfigValue) -> T?) -> T? {
        guard let value = self[key] else {
            reader.report(anchor, "missing required key \(configQuote(key)) \(configLocation(path))")
            return nil
        }
        return decode(value)
    }
}

extension ConfigReader {
    /// The value as a mapping, or nil after reporting what it is instead.
    ///
    /// Repeated keys are reported at each repeat, naming the first; merge keys (`<<`) are refused.
    func fields(_ value: ConfigValue) -> ConfigFields? {
        guard case .mapping(let mapping) = value.node else {
            if value.path.isEmpty {
                report(value, "expected a mapping at the top level, got \(value.described)")
            } else {
                report(value, "expected a mapping for \(value.name), got \(value.described)")
            }
            return nil
        }
        var entries: [ConfigFields.Entry] = []
        for (keyNode, valueNode) in mapping {
            let keyPosition = keyNode.mark.map { SourcePosition(line: $0.line, column: $0.column) }
                ?? value.keyPosition
            guard case .scalar(let scalar) = keyNode else {
                report(keyPosition, "expected a plain key \(configLocation(value.path)), got a \(keyNode.mapping != nil ? "mapping" : "list")")
                continue
            }
            let key = renamedKeys[scalar.string] ?? scalar.string
            if key == "<<" && scalar.style == .plain {
                report(keyPosition, "YAML merge keys (<<) are not supported; write the keys out")
                continue
            }
            if let first = entries.first(where: { $0.key == key }) {
                report(keyPosition, "duplicate key \(configQuote(key)) \(configLocation(value.path)) (first at \(first.keyPosition.line):\(first.keyPosition.column))")
                continue
            }
            let path = value.path.isEmpty ? key : "\(value.path).\(key)"
            let child = ConfigValue(node: valueNode, name: key, path: path, keyPosition: keyPosition)
            entries.append(ConfigFields.Entry(key: key, keyPosition: keyPosition, value: child))
        }
        return ConfigFields(reader: self, path: value.path, anchor: value.keyPosition, entries: entries)
    }
}
