#if canImport(Glibc)
import Glibc
#endif

/// Runs a command (from PATH or /usr/sbin, /sbin) and returns its stdout and stderr together.
enum PlumbingCommand {
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let path = try resolve(arguments[0])
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw PlumbingTestError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            throw PlumbingTestError("spawn \(path): \(String(cString: strerror(spawned)))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipeEnds[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        // WIFEXITED && WEXITSTATUS == 0, spelled out: the macros do not import.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw PlumbingTestError("`\(arguments.joined(separator: " "))` failed (status \(status)): \(text)")
        }
        return text
    }

    private static func resolve(_ command: String) throws -> String {
        if command.hasPrefix("/") { return command }
        let path = (getenv("PATH").map { String(cString: $0) } ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/\(command)", X_OK) == 0 {
            return "\(directory)/\(command)"
        }
        throw PlumbingTestError("\(command) not found in PATH or /usr/sbin, /sbin")
    }
}
