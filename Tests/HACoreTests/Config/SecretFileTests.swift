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
}
