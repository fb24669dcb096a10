import Foundation
import GaleraProbe
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/galera/bootstrap` refuses (409, with the reason) while the local server runs, decided
/// from the datadir lock rather than the last probe (here the probe has never answered), and leaves
/// grastate.dat alone; once nothing holds the datadir it marks grastate and runs the command.
@Suite("Galera bootstrap route", .serialized)
struct GaleraBootstrapRouteTests {
    @Test("409 while the datadir is locked (probe silent), 200 once it is not")
    func refusesBesideARunningServer() async throws {
        guard let made = mkdtemp(strdup("/tmp/hactl-g1-boot.XXXXXX")) else { Issue.record("mkdtemp"); return }
        let data = String(cString: made)
        free(made)
        defer { try? FileManager.default.removeItem(atPath: data) }
        try "uuid: u\nseqno: 12\nsafe_to_bootstrap: 0\n".write(toFile: data + "/grastate.dat", atomically: false, encoding: .utf8)
        try "x".write(toFile: data + "/aria_log_control", atomically: false, encoding: .utf8)
        let f = try Fixture(extra: """
            galera: { user: hactl, password_file: galera.pass, port: 1, interval: 1s, timeout: 1s, datadir: "\(data)", bootstrap_command: "true" }
            """)
        defer { f.cleanup() }

        // A process holding mariadbd's Aria lock (as a running, starting or hung server does).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", "import fcntl,sys,time; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
                            data + "/aria_log_control"]
        let pipe = Pipe()
        holder.standardOutput = pipe
        try holder.run()
        _ = pipe.fileHandleForReading.availableData

        let app = Agent(context: f.context).makeApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/galera/bootstrap", method: .post,
                                     headers: [.authorization: f.signed("/v1/galera/bootstrap")]) { r in
                #expect(r.status == .conflict)
                let result = try JSONDecoder().decode(AdminResult.self, from: Data(buffer: r.body))
                #expect(!result.ok)
                #expect(result.message.hasPrefix("bootstrap refused: the local server runs (aria_log_control in the datadir is locked by pid \(holder.processIdentifier))"),
                        "\(result.message)")
            }
            #expect(Grastate(text: try String(contentsOfFile: data + "/grastate.dat", encoding: .utf8)).safeToBootstrap == false,
                    "refused: grastate untouched")

            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
            try await client.execute(uri: "/v1/galera/bootstrap", method: .post,
                                     headers: [.authorization: f.signed("/v1/galera/bootstrap")]) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
            }
            #expect(Grastate(text: try String(contentsOfFile: data + "/grastate.dat", encoding: .utf8)).safeToBootstrap == true)
        }
    }
}
