import Yams

/// Walks a composed YAML tree, decoding values and collecting every problem instead of stopping at
/// the first. One reader per parse; not shared between threads.
final class ConfigReader {
    /// The path as the caller gave it, used in messages.
    let file: String
    /// The absolute path, stored in the config.
    let absolutePath: String
    /// Relative `*_file` paths resolve against this.
    let directory: String
    private(set) var errors: [ConfigError] = []
    /// Stand-in key text -> the key it replaced (see `compose`).
    var renamedKeys: [String: String] = [:]

    // Names declared in the file, known even when their entries are broken, so one mistake is not
    // reported again by everything that refers to it.
    var controllerNames: [String]?
    var controllerAddresses: [String: IPAddress] = [:]
    /// How many networks the controllers list under `addresses` (nil: none listed).
    var controllerNetworks: Int?
    var checkNames: [String] = []
    var sectionsPresent: Set<String> = []

    init(file: String, absolutePath: String) {
        self.file = file
        self.absolutePath = absolutePath
        self.directory = ConfigPath.directory(of: absolutePath)
    }

    func report(_ position: SourcePosition, _ message: String) {
        errors.append(ConfigError(file: file, line: position.line, column: position.column, message: message))
    }

    func report(_ value: ConfigValue, _ message: String) {
        report(value.position, message)
    }

    /// The root of the document as a value.
    func root(_ node: Node) -> ConfigValue {
        ConfigValue(node: node, name: "", path: "", keyPosition: SourcePosition(line: 1, column: 1))
    }
}

/// A YAML value with what messages need to point at it.
struct ConfigValue {
    let node: Node
    /// The key (or list element) it sits under, as messages name it: `api_port`, `addresses[1]`.
    let name: String
    /// Its full path: `vips[0].priorities`; empty at the top level.
    let path: String
    /// Where its key is: missing keys inside it and empty values are reported here.
    let keyPosition: SourcePosition

    /// Where problems with the value itself are reported: the value, or its key when it is empty
    /// (libyaml puts an empty value wherever the next token starts).
    var position: SourcePosition {
        guard !isNull, let mark = node.mark else { return keyPosition }
        return SourcePosition(line: mark.line, column: mark.column)
    }

    /// `~`, `null` or nothing at all.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The text of a non-empty scalar.
    var scalarText: String? {
        guard case .scalar(let scalar) = node, !isNull else { return nil }
        return scalar.string
    }

    /// True for a scalar written without quotes.
    var isPlain: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain || scalar.style == .any
    }

    /// How messages describe what was found: `"abc"`, `a list`, `a mapping`, `an empty value`.
    var described: String {
        if isNull { return "an empty value" }
        switch node {
        case .scalar(let scalar): return configQuote(scalar.string)
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The elements of a list, as values named `name[i]`.
    var elements: [ConfigValue] {
        guard case .sequence(let sequence) = node else { return [] }
        return sequence.enumerated().map { index, element in
            let mark = element.mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? keyPosition
            return ConfigValue(node: element, name: "\(name)[\(index)]", path: "\(path)[\(index)]", keyPosition: mark)
        }
    }
}

/// Quotes text for a message, shortened so a pasted blob cannot flood the output.
func configQuote(_ text: String) -> String {
    let limit = 60
    let shown = text.unicodeScalars.count > limit ? String(text.prefix(limit)) + "..." : text
    return "\"\(shown)\""
}

/// How messages say where a mapping is: `in vips[0]`, or `at the top level`.
func configLocation(_ path: String) -> String {
    path.isEmpty ? "at the top level" : "in \(path)"
}

/// The closest candidate within edit distance 2, or one that starts with `word` (or vice versa).
func suggestion(for word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { (candidate: $0, distance: editDistance(word, $0)) }
    if let best = scored.filter({ $0.distance <= 2 }).min(by: { $0.distance < $1.distance }) {
        return best.candidate
    }
    return candidates.first { candidate in
        min(word.count, candidate.count) >= 3 && (candidate.hasPrefix(word) || word.hasPrefix(candidate))
    }
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        previous = current
    }
    return previous[b.count]
}
