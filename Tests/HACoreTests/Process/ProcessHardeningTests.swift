import Foundation
import HACore
import Testing

@Suite("Process hardening")
struct ProcessHardeningTests {
    /// Run in a child (`hactl` is not needed): the test runner itself must stay dumpable. The child
    /// reports PR_GET_DUMPABLE before and after through its exit code.
    @Test func disableDumpingClearsTheDumpableFlagInAChild() throws {
        // Also resolves prctl before the fork (the child must not run lazy initialisation).
        #expect(ProcessHardening.isDumpable == true, "a test runner starts dumpable")
        let pid = fork()
        if pid == 0 {
            // Child of a multi-threaded process: only async-signal-safe calls (prctl, _exit).
            let before = ProcessHardening.isDumpable
            let failed = ProcessHardening.disableDumping() != nil
            let after = ProcessHardening.isDumpable
            _exit(before == true && !failed && after == false ? 0 : 1)
        }
        #expect(pid > 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        #expect(status == 0, "child exit status \(status)")
        #expect(ProcessHardening.isDumpable == true, "the parent is unaffected")
    }
}
