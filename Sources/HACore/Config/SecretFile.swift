#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that hold secrets (`*_file` keys): a regular file no group or other user can read or write.
///
/// Synchronous file system calls; cheap, callable from any thread. Messages name the path and never
/// the contents.
public enum SecretFile {
    /// Why `path` is not an acceptable secret file, or nil if it is:
    /// `secret file /x/y: No such file or directory`,
    /// `secret file /x/y is not a regular file`,
    /// `secret file /x/y has mode 0644; it must not be accessible by group or others (chmod 600)`.
    public static func problem(at path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "secret file \(path): \(String(cString: strerror(errno)))"
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return "secret file \(path) is not a regular file"
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            let octal = String(permissions, radix: 8)
            let mode = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "secret file \(path) has mode \(mode); it must not be accessible by group or others (chmod 600)"
        }
        return nil
    }

    /// Reads a secret after checking it again (the file may have changed since the config was loaded).
    ///
    /// Trailing newlines are dropped, so `echo secret > file` works.
    public static func read(_ path: String) throws(SecretFileError) -> String {
        if let problem = problem(at: path) {
            throw SecretFileError(path: path, errno: 0, message: problem)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw SecretFileError(path: path, errno: code, message: "secret file \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SecretFileError(path: path, errno: code, message: "secret file \(path): \(String(cString: strerror(code)))")
            }
            data.append(contentsOf: chunk[..<count])
        }
        while data.last == UInt8(ascii: "\n") || data.last == UInt8(ascii: "\r") { data.removeLast() }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `read(2)`, reachable from inside types that have a `read` of their own.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// A secret file that could not be used. `message` names the path, never the contents.
public struct SecretFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The secret file's absolute path.
    public var path: String
    /// The failing call's errno, or 0 for a refused mode or file type.
    public var errno: Int32
    /// `secret file PATH: reason`, as in config errors.
    public var message: String

    public var description: String { message }
}

extension ConfigReader {
    /// A `*_file` value: resolved against the config file's directory and checked on disk.
    func secretFile(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        let path = ConfigPath.resolve(text, against: directory)
        if let problem = SecretFile.problem(at: path) {
            report(value, problem)
            return nil
        }
        return path
    }
}
