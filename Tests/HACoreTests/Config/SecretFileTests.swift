import Foundation
import Testing

@testable import HACore

@Suite struct SecretFileTests {
    @Test func readsAStrictFileWithoutTrailingNewlines() throws {
        let dir = try SecretsDirectory()
        try dir.write("token", contents: "abc def\r\n\n", mode: 0o400)
        #expect(SecretFile.problem(at: dir.path + "/token") == nil)
        #expect(try SecretFile.read(dir.path + "/token") == "abc def")
    }

    @Test func refusesAnOpenFileWithoutShowingItsContents() throws {
        let dir = try SecretsDirectory()
        try dir.write("open", contents: "topsecret", mode: 0o604)
        let path = dir.path + "/open"
        #expect(SecretFile.problem(at: path) == "secret file \(path) has mode 0604; it must not be accessible by group or others (chmod 600)")
        #expect(throws: SecretFileError.self) { try SecretFile.read(path) }
        do {
            _ = try SecretFile.read(path)
        } catch {
            #expect(!error.description.contains("topsecret"))
            #expect(error.path == path)
        }
    }

    @Test func reportsMissingFilesAndDirectories() throws {
        let dir = try SecretsDirectory()
        #expect(SecretFile.problem(at: dir.path + "/none") == "secret file \(dir.path)/none: No such file or directory")
        #expect(SecretFile.problem(at: dir.path) == "secret file \(dir.path) is not a regular file")
    }

    // MARK: issue 11: links, owner, minimum length of the cluster secret

    static let longSecret = "0123456789abcdef0123456789abcdef"

    @Test func refusesASymbolicLinkEvenToAGoodFile() throws {
        let dir = try SecretsDirectory()
        try dir.write("real", contents: Self.longSecret, mode: 0o600)
        let link = dir.path + "/link"
        #expect(symlink(dir.path + "/real", link) == 0)
        let expected = "secret file \(link) is a symbolic link; name the file itself (a link could be redirected)"
        #expect(SecretFile.problem(at: link) == expected)
        do {
            _ = try SecretFile.read(link)
            Issue.record("a symbolic link was read")
        } catch {
            #expect(error.message == expected)
        }
        #expect(try SecretFile.read(dir.path + "/real") == Self.longSecret)
    }

    @Test func refusesAFileOwnedBySomeoneElse() throws {
        let dir = try SecretsDirectory()
        try dir.write("theirs", contents: Self.longSecret, mode: 0o600)
        var info = stat()
        #expect(stat(dir.path + "/theirs", &info) == 0)
        // Checked against a stat claiming another owner (chown needs root; the rule is the same).
        info.st_uid = 4242
        let problem = SecretFile.problem(dir.path + "/theirs", info, owner: 1000)
        #expect(problem == "secret file \(dir.path)/theirs is owned by uid 4242; it must be owned by root or by the agent's user (uid 1000)")
        info.st_uid = 1000
        #expect(SecretFile.problem(dir.path + "/theirs", info, owner: 1000) == nil)
        info.st_uid = 0
        #expect(SecretFile.problem(dir.path + "/theirs", info, owner: 1000) == nil, "root-owned is fine")
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func refusesAFileChownedToAnotherUser() throws {
        let dir = try SecretsDirectory()
        try dir.write("theirs", contents: Self.longSecret, mode: 0o600)
        #expect(chown(dir.path + "/theirs", 4242, 4242) == 0)
        #expect(SecretFile.problem(at: dir.path + "/theirs")?.contains("is owned by uid 4242") == true)
        #expect(throws: SecretFileError.self) { try SecretFile.read(dir.path + "/theirs") }
    }

    @Test func theClusterSecretNeedsThirtyTwoBytesAfterTrimming() throws {
        let dir = try SecretsDirectory()
        try dir.write("short", contents: "  " + String(Self.longSecret.dropLast()) + " \n", mode: 0o600)
        try dir.write("long", contents: Self.longSecret + "\n", mode: 0o600)
        let path = dir.path + "/short"
        let expected = "secret file \(path) is too short (31 bytes; the cluster secret needs at least 32); "
            + "generate one with: head -c 32 /dev/urandom | base64 > \(path)"
        #expect(SecretFile.clusterSecretProblem(at: path) == expected)
        #expect(throws: SecretFileError.self) { try SecretFile.readClusterSecret(path) }
        #expect(SecretFile.clusterSecretProblem(at: dir.path + "/long") == nil)
        #expect(try SecretFile.readClusterSecret(dir.path + "/long") == Self.longSecret)
        #expect(SecretFile.problem(at: path) == nil, "other secret files (passwords) have no minimum length")
    }

    @Test func configValidationReportsLinkAndShortClusterSecretAtTheirPosition() throws {
        let dir = try SecretsDirectory()
        try dir.write("short.key", contents: "too-short\n", mode: 0o600)
        #expect(symlink(dir.path + "/galera.pass", dir.path + "/link.pass") == 0)
        let problems = dir.problems("""
            cluster:
              name: lab
              secret_file: short.key
            controllers:
              ctl1: { address: 198.18.0.11 }
            galera: { user: hactl, password_file: link.pass }
            """)
        #expect(problems.contains("$DIR/cluster.yaml:3:16: secret file $DIR/short.key is too short (9 bytes; the cluster secret "
            + "needs at least 32); generate one with: head -c 32 /dev/urandom | base64 > $DIR/short.key"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("$DIR/cluster.yaml:6:") && $0.contains("$DIR/link.pass is a symbolic link") },
                "\(problems)")
        #expect(!problems.joined().contains("too-short"), "never the contents")
    }
}
