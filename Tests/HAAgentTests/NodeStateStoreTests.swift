import Foundation
import HACore
@testable import HAAgent
import Testing

/// Issue 11: the drain state is written atomically and durably; a crash at any step of a write
/// leaves the old state or the new one, never an empty file, and a leftover temp file is ignored.
@Suite("Node state store")
struct NodeStateStoreTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "hactl-state-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func persistsAcrossReopening() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NodeStateStore(directory: dir).setDrained(true)
        #expect(try NodeStateStore(directory: dir).drained)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names == ["node-state.json"], "no temp file left after a complete write")
        var info = stat()
        #expect(stat(dir + "/node-state.json", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test(arguments: AtomicFile.Step.allCases)
    func aCrashAtAnyStepLeavesTheOldOrTheNewState(step: AtomicFile.Step) throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try NodeStateStore(directory: dir)
        try store.setDrained(true)
        try store.setDrained(false, stoppingAfter: step)
        let text = try String(contentsOfFile: dir + "/node-state.json", encoding: .utf8)
        #expect(!text.isEmpty)
        let reopened = try NodeStateStore(directory: dir)
        // Up to the rename the old state (drained) stands; from the rename on, the new one.
        #expect(reopened.drained == (step != .renamed), "crash after \(step)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "node-state.json" }
        #expect(leftovers.isEmpty, "the leftover temp file is removed at open: \(leftovers)")
    }

    @Test func anEmptyLeftoverTempFileIsIgnored() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NodeStateStore(directory: dir).setDrained(true)
        _ = FileManager.default.createFile(atPath: dir + "/node-state.json.tmp.4242", contents: Data())
        #expect(try NodeStateStore(directory: dir).drained)
        #expect(!FileManager.default.fileExists(atPath: dir + "/node-state.json.tmp.4242"))
    }
}
