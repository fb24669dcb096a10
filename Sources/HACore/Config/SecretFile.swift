#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that hold secrets (`*_file` keys): a regular file (not a symbolic link) owned by root or by
/// the user reading it, that no group or other user can read or write. The cluster secret must also
/// be long enough (`minimumClusterSecretLength` bytes) to resist guessing.
///
/// Synchronous file system calls; cheap, callable from any thread. Messages name the path and never
/// the contents.
public enum SecretFile {
    /// The shortest accepted cluster secret, in bytes after trimming whitespace.
    public static let minimumClusterSecretLength = 32

    /// Why `path` is not an acceptable secret file, or nil if it is:
    /// `secret file /x/y: No such file or directory`,
    /// `secret file /x/y is a symbolic link; ...`,
    /// `secret file /x/y is not a regular file`,
    /// `secret file /x/y is owned by uid 1000; ...`,
    /// `secret file /x/y has mode 0644; it must not be accessible by group or others (chmod 600)`.
    public static func problem(at path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return "secret file \(path): \(String(cString: strerror(errno)))"
        }
        return problem(path, info)
    }

    /// The checks of `problem(at:)` on a `stat` of the file itself (from `lstat` or `fstat`).
    static func problem(_ path: String, _ info: stat, owner allowed: uid_t = geteuid()) -> String? {
        if info.st_mode & S_IFMT == S_IFLNK {
            return "secret file \(path) is a symbolic link; name the file itself (a link could be redirected)"
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return "secret file \(path) is not a regular file"
        }
        guard info.st_uid == 0 || info.st_uid == allowed else {
            return "secret file \(path) is owned by uid \(info.st_uid); it must be owned by root or by the agent's user (uid \(allowed))"
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            let octal = String(permissions, radix: 8)
            let mode = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "secret file \(path) has mode \(mode); it must not be accessible by group or others (chmod 600)"
        }
        return nil
    }

    /// Why `path` cannot be the cluster secret (the checks of `problem(at:)`, then its length), or nil.
    public static func clusterSecretProblem(at path: String) -> String? {
        do {
            let secret = try read(path)
            return lengthProblem(path, secret)
        } catch {
            return error.message
        }
    }

    /// Reads the cluster secret: `read(_:)` plus the minimum length.
    public static func readClusterSecret(_ path: String) throws(SecretFileError) -> String {
        let secret = try read(path)
        if let problem = lengthProblem(path, secret) {
            throw SecretFileError(path: path, errno: 0, message: problem)
        }
        return secret
    }

    static func lengthProblem(_ path: String, _ secret: String) -> String? {
        let length = secret.trimmingWhitespace.utf8.count
        guard length < minimumClusterSecretLength else { return nil }
        return "secret file \(path) is too short (\(length) bytes; the cluster secret needs at least "
            + "\(minimumClusterSecretLength)); generate one with: head -c 32 /dev/urandom | base64 > \(path)"
    }

    /// Reads a secret after checking it again (the file may have changed since the config was loaded).
    /// Opened with `O_NOFOLLOW` and checked on the open descriptor, so a link swapped in after the
    /// check is refused too.
    ///
    /// Trailing newlines are dropped, so `echo secret > file` works.
    public static func read(_ path: String) throws(SecretFileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            // O_NOFOLLOW on a symbolic link fails with ELOOP: say what is wrong.
            if code == ELOOP, let problem = problem(at: path) {
                throw SecretFileError(path: path, errno: 0, message: problem)
            }
            throw SecretFileError(path: path, errno: code, message: "secret file \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            throw SecretFileError(path: path, errno: code, message: "secret file \(path): \(String(cString: strerror(code)))")
        }
        if let problem = problem(path, info) {
            throw SecretFileError(path: path, errno: 0, message: problem)
        }
        var data: [UInt8]
        do throws(SystemCallError) {
            data = try Syscall.readToEnd(fd, call: "read").bytes
        } catch {
            throw SecretFileError(path: path, errno: error.errno, message: "secret file \(path): \(error.message)")
        }
        while data.last == UInt8(ascii: "\n") || data.last == UInt8(ascii: "\r") { data.removeLast() }
        return String(decoding: data, as: UTF8.self)
    }
}

private extension String {
    /// Without leading and trailing ASCII whitespace (no Foundation in this file).
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
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

    /// `cluster.secret_file`: a `secretFile` that is also long enough (`SecretFile.minimumClusterSecretLength`).
    func clusterSecretFile(_ value: ConfigValue) -> String? {
        guard let path = secretFile(value) else { return nil }
        if let problem = SecretFile.clusterSecretProblem(at: path) {
            report(value, problem)
            return nil
        }
        return path
    }
}
