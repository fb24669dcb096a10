import Foundation
import HACore
import HATestSupport
import Testing
@testable import GaleraProbe
#if canImport(Glibc)
import Glibc
#endif

/// `galera/bootstrap` refuses beside a running server or a Primary peer; "running" comes from the
/// machine (datadir lock, pid file, socket), and grastate.dat is replaced atomically.
@Suite("Bootstrap guard, server liveness, atomic grastate", .serialized)
struct BootstrapGuardTests {
    static func report(_ node: String, cluster: String?, statusAge: Double = 0.3, age: Double = 0.3) -> GaleraReport {
        var wsrep = GaleraStatus()
        wsrep.clusterStatus = cluster
        return GaleraReport(node: node, status: cluster == "Primary" ? .passing : .critical, reason: "x", passingForSeconds: nil,
                            ageSeconds: age, wsrep: cluster == nil ? nil : wsrep, statusAgeSeconds: statusAge, writer: nil)
    }

    @Test("refusal table")
    func table() {
        let none = ServerLiveness.Evidence(signs: [])
        let window = Duration.seconds(3)
        #expect(BootstrapGuard.refusal(local: none, peers: [("ctl2", nil), ("ctl3", nil)], statusWindow: window) == nil)
        #expect(BootstrapGuard.refusal(local: none, peers: [("ctl2", Self.report("ctl2", cluster: nil)),
                                                            ("ctl3", Self.report("ctl3", cluster: "non-Primary"))],
                                       statusWindow: window) == nil)
        #expect(BootstrapGuard.refusal(local: .init(signs: ["aria_log_control in the datadir is locked by pid 7"]), peers: [],
                                       statusWindow: window)
                == "the local server runs (aria_log_control in the datadir is locked by pid 7); stop it first")
        #expect(BootstrapGuard.refusal(local: none, peers: [("ctl2", Self.report("ctl2", cluster: "Primary")), ("ctl3", nil)],
                                       statusWindow: window) == "ctl2 reports Primary: the cluster runs; start this node instead")
        // A Primary read left over from before that peer's server stopped answering does not count.
        #expect(BootstrapGuard.refusal(local: none, peers: [("ctl2", Self.report("ctl2", cluster: "Primary", statusAge: 30, age: 0.2))],
                                       statusWindow: window) == nil)
    }

    @Test("a running standalone mariadbd is running (lock, pid file, socket); killed, it is not (stale pid file and socket file)",
          .enabled(if: LocalMariaDB.usable, "needs root and mariadbd (starts a real server)"), .timeLimit(.minutes(3)))
    func liveness() async throws {
        let server = try await LocalMariaDB.start()
        defer { server.stop() }
        let datadir = server.directory + "/data"
        let running = ServerLiveness.check(datadir: datadir, socket: server.socket)
        #expect(running.running)
        #expect(running.signs.contains { $0.hasPrefix("aria_log_control in the datadir is locked by pid ") }, "\(running)")
        #expect(running.signs.contains { $0.hasPrefix("pid file \(server.directory)/mariadbd.pid") }, "\(running)")
        #expect(running.signs.contains("socket \(server.socket) accepts connections"), "\(running)")
        // Through the node control, as the bootstrap route asks it.
        let config = GaleraConfig(user: "hactl", passwordFile: server.passwordFile, socket: server.socket, datadir: datadir)
        let control = GaleraNodeControl(node: "ctl1", config: config, directory: server.directory)
        #expect(control.liveness().running)
        #expect(BootstrapGuard.refusal(local: control.liveness(), peers: [], statusWindow: .seconds(3))?.hasPrefix("the local server runs") == true)

        server.crash()
        let stopped = ServerLiveness.check(datadir: datadir, socket: server.socket)
        #expect(!stopped.running, "\(stopped)")
        #expect(FileManager.default.fileExists(atPath: datadir + "/aria_log_control"))
        #expect(BootstrapGuard.refusal(local: control.liveness(), peers: [], statusWindow: .seconds(3)) == nil)
    }

    @Test("a lock held by another process is seen; our own lock-free open does not count", .timeLimit(.minutes(1)))
    func lockHolder() throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/aria_log_control"
        try "x".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(ServerLiveness.lockHolder(path) == nil)
        #expect(!ServerLiveness.check(datadir: dir, socket: dir + "/missing.sock").running)
        // flock(1) takes a BSD lock, not what F_GETLK reports; a child holding an fcntl lock does.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", "import fcntl,sys,time; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)", path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        // SIGKILL: the test runner may block SIGTERM, and a blocked mask is inherited across exec.
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }
        _ = pipe.fileHandleForReading.availableData
        #expect(ServerLiveness.lockHolder(path) == child.processIdentifier)
        #expect(ServerLiveness.check(datadir: dir, socket: nil).signs == ["aria_log_control in the datadir is locked by pid \(child.processIdentifier)"])
    }

    @Test("a pid file naming a zombie (killed, not reaped) or a dead pid does not count; a live process does")
    func zombiePidFile() throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func spawn(_ seconds: String) -> pid_t {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup(seconds), nil]
            defer { argv.forEach { free($0) } }
            #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
            return pid
        }
        let live = spawn("30")
        let zombie = spawn("0")
        defer {
            kill(live, SIGKILL)
            var status: Int32 = 0
            waitpid(live, &status, 0)
            waitpid(zombie, &status, 0)
        }
        // Not reaped yet: wait (bounded) until it has exited and is a zombie.
        let deadline = ContinuousClock.now + .seconds(10)
        while ServerLiveness.isLive(zombie) && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(!ServerLiveness.isLive(zombie))
        #expect(FileManager.default.fileExists(atPath: "/proc/\(zombie)/comm"), "still in /proc: a zombie")
        try "\(zombie)\n".write(toFile: dir + "/zombie.pid", atomically: false, encoding: .utf8)
        try "999999999\n".write(toFile: dir + "/dead.pid", atomically: false, encoding: .utf8)
        try "-1\n".write(toFile: dir + "/negative.pid", atomically: false, encoding: .utf8)
        #expect(ServerLiveness.livePidFiles(in: dir, names: ["sleep"]).isEmpty)
        try "\(live)\n".write(toFile: dir + "/live.pid", atomically: false, encoding: .utf8)
        #expect(ServerLiveness.livePidFiles(in: dir, names: ["sleep"]).map(\.1) == [live])
        #expect(ServerLiveness.livePidFiles(in: dir).isEmpty, "only mariadbd/mysqld count")
    }

    @Test("grastate.dat is replaced atomically: new contents, owner and mode kept, no temporary left")
    func atomicGrastate() throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/grastate.dat"
        let text = "# GALERA saved state\nversion: 2.1\nuuid:    6b9a9a52-0000-11ee-9a00-aaaaaaaaaaaa\nseqno:   42\nsafe_to_bootstrap: 0\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        if getuid() == 0 { #expect(chown(path, 65534, 65534) == 0) }
        var before = stat()
        stat(path, &before)

        try AtomicFile.replace(path, with: Grastate.settingSafeToBootstrap(in: text))
        let after = try String(contentsOfFile: path, encoding: .utf8)
        #expect(Grastate(text: after) == Grastate(uuid: "6b9a9a52-0000-11ee-9a00-aaaaaaaaaaaa", seqno: 42, safeToBootstrap: true))
        #expect(after.hasPrefix("# GALERA saved state\nversion: 2.1\n"))
        var now = stat()
        stat(path, &now)
        #expect(now.st_mode & 0o7777 == 0o640)
        #expect(now.st_uid == before.st_uid && now.st_gid == before.st_gid)
        #expect(now.st_ino != before.st_ino, "a new inode renamed over the old one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["grastate.dat"])

        // A missing file or a symlink is refused, nothing created.
        #expect(throws: AtomicFile.Failure.self) { try AtomicFile.replace(dir + "/absent", with: "x") }
        symlink(path, dir + "/link")
        #expect(throws: AtomicFile.Failure.self) { try AtomicFile.replace(dir + "/link", with: "x") }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == ["grastate.dat", "link"])
    }

    @Test("bootstrap marks grastate safe_to_bootstrap through the atomic write, then runs the command")
    func bootstrapWritesGrastate() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try "uuid: u\nseqno: -1\nsafe_to_bootstrap: 0\n".write(toFile: dir + "/data/grastate.dat", atomically: false, encoding: .utf8)
        chmod(dir + "/data/grastate.dat", 0o660)
        let config = GaleraConfig(user: "hactl", passwordFile: "/x", datadir: dir + "/data", bootstrapCommand: "true")
        let control = GaleraNodeControl(node: "ctl1", config: config, directory: dir)
        guard case .success = await control.bootstrap() else { Issue.record("bootstrap failed"); return }
        #expect(Grastate(text: try String(contentsOfFile: dir + "/data/grastate.dat", encoding: .utf8)).safeToBootstrap == true)
        var st = stat()
        stat(dir + "/data/grastate.dat", &st)
        #expect(st.st_mode & 0o7777 == 0o660)
    }

    static func tempDirectory() throws -> String {
        guard let made = mkdtemp(strdup("/tmp/hactl-g1-test.XXXXXX")) else { throw LocalMariaDBError("mkdtemp") }
        defer { free(made) }
        return String(cString: made)
    }
}
