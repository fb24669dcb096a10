import HACore

/// Runs a command (from PATH) and returns its stdout and stderr together; a non-zero exit throws.
enum PlumbingCommand {
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let out = try Subprocess.run(arguments)
        let text = out.stdout + out.stderr
        guard out.status == 0 else {
            throw PlumbingTestError("`\(arguments.joined(separator: " "))` failed (status \(out.status)): \(text)")
        }
        return text
    }
}
