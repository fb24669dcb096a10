/// One problem in a cluster config file, at the position of the offending value.
///
/// `line` and `column` are 1-based; column counts Unicode scalars, as libyaml does. Messages never
/// contain the contents of a secret file nor the value of an inline secret.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The config file's path as the caller gave it.
    public var file: String
    /// 1-based line of the offending value (of the key for unknown keys; of the parent's key for missing ones).
    public var line: Int
    /// 1-based column, in Unicode scalars.
    public var column: Int
    /// What is wrong, without the `FILE:LINE:COL: ` prefix.
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message`, the format `hactl config check` prints.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in one config file; loading reports them all at once.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable, Equatable {
    /// Sorted by line, then column; problems at the same position keep the order they were found in.
    public var errors: [ConfigError]

    /// Sorts `errors` by position and drops exact repeats.
    public init(_ errors: [ConfigError]) {
        var seen = Set<String>()
        self.errors = errors.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
            .filter { seen.insert($0.description).inserted }
    }

    /// One `FILE:LINE:COL: message` line per problem.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
