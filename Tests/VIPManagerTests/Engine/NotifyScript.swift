import Foundation
import HACore

/// A notify script for the NotifyRunner tests, in a directory of its own.
///
/// The script is written to a side file and copied into place by `/bin/cp`, so this process never
/// holds a descriptor open for writing on the inode that is executed. Writing it directly raced
/// with every fork in the test process (other tests spawn commands concurrently): a child forked
/// while the file was open for writing holds that descriptor until it execs, and `execve` of the
/// script then fails with ETXTBSY ("Text file busy").
enum NotifyScript {
    /// `OUT` in `body` is replaced by the path of a file in the same directory.
    static func make(_ body: String) throws -> (path: String, out: String) {
        let dir = NSTemporaryDirectory() + "hactl-notify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/notify.sh", out = dir + "/out", source = dir + "/notify.src"
        try "#!/bin/sh\n\(body.replacingOccurrences(of: "OUT", with: out))\n".write(toFile: source, atomically: false, encoding: .utf8)
        let status = try Subprocess.run(["/bin/cp", source, path]).status
        guard status == 0, chmod(path, 0o755) == 0 else { throw POSIXError(.EIO) }
        return (path, out)
    }
}
