import Foundation
import HACore
import Synchronization

/// The local server's lifecycle for full-outage recovery: its position (`grastate.dat`, or the
/// recover command after a crash) and the configured start, stop and bootstrap commands.
///
/// Commands run as `/bin/sh -c COMMAND` in the config file's directory, with `{node}` replaced by
/// this node's name, on a thread of their own (never the cooperative pool), killed after
/// ``commandTimeout``. One action at a time per node: a second one while another runs fails with
/// ``GaleraControlError/busy(_:)`` instead of racing it.
public final class GaleraNodeControl: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case start, stop, bootstrap, recover
    }

    /// Long enough for a joiner's state transfer of a controller-sized database.
    public static let defaultCommandTimeout: Duration = .seconds(600)

    public let node: String
    public let config: GaleraConfig
    /// Where commands run: the config file's directory.
    public let directory: String
    public let commandTimeout: Duration
    private let busy = Mutex<Action?>(nil)

    public init(node: String, config: GaleraConfig, directory: String,
                commandTimeout: Duration = GaleraNodeControl.defaultCommandTimeout) {
        self.node = node
        self.config = config
        self.directory = directory
        self.commandTimeout = commandTimeout
    }

    public var datadir: String { config.datadir(on: node) }

    /// Whether the local server runs, from the datadir lock, pid files and the socket (never from
    /// the last probe alone): see ``ServerLiveness``.
    public func liveness() -> ServerLiveness.Evidence {
        ServerLiveness.check(datadir: datadir, socket: config.socket.map { GaleraConfig.command($0, on: node) })
    }

    /// Where this node stands. `running` (and its cluster status and last committed seqno) come from
    /// the probe: a running server's grastate says -1 and must not be touched. A stopped server's
    /// position is read from `grastate.dat`; when it says -1 (a crash) the recover command is run.
    public func position(running: Bool, clusterStatus: String?, lastCommitted: Int64?, uuid: String?) async -> GaleraPosition {
        let grastatePath = datadir + "/" + Grastate.fileName
        if running {
            let state = (try? String(contentsOfFile: grastatePath, encoding: .utf8)).map(Grastate.init(text:))
            return GaleraPosition(node: node, running: true, clusterStatus: clusterStatus, uuid: uuid ?? state?.uuid,
                                  seqno: lastCommitted, safeToBootstrap: state?.safeToBootstrap ?? false, source: .running)
        }
        let text: String
        do { text = try String(contentsOfFile: grastatePath, encoding: .utf8) } catch {
            return GaleraPosition(node: node, running: false, uuid: nil, seqno: nil, safeToBootstrap: false,
                                  source: .unknown, error: "cannot read \(grastatePath): \(Self.reason(error))")
        }
        let state = Grastate(text: text)
        if let seqno = state.seqno, seqno >= 0 {
            return GaleraPosition(node: node, running: false, uuid: state.uuid, seqno: seqno,
                                  safeToBootstrap: state.safeToBootstrap ?? false, source: .grastate)
        }
        switch await run(.recover) {
        case .success(let output):
            guard let recovered = Grastate.recoveredPosition(in: output.stdout + "\n" + output.stderr) else {
                return GaleraPosition(node: node, running: false, uuid: state.uuid, seqno: nil,
                                      safeToBootstrap: state.safeToBootstrap ?? false, source: .unknown,
                                      error: "recover command printed no position (exit \(output.status)): \(Self.tail(output))")
            }
            return GaleraPosition(node: node, running: false, uuid: recovered.uuid, seqno: recovered.seqno,
                                  safeToBootstrap: state.safeToBootstrap ?? false, source: .wsrepRecover)
        case .failure(let error):
            return GaleraPosition(node: node, running: false, uuid: state.uuid, seqno: nil,
                                  safeToBootstrap: state.safeToBootstrap ?? false, source: .unknown, error: error.description)
        }
    }

    /// Marks `grastate.dat` safe to bootstrap (Galera refuses `--wsrep-new-cluster` otherwise when
    /// the node did not stop last; written with ``AtomicFile/replace(_:with:)``: owner and mode kept,
    /// fsynced), then runs the bootstrap command. The caller refuses first when the server runs or a
    /// peer is Primary (``BootstrapGuard``).
    public func bootstrap() async -> Result<Subprocess.Output, GaleraControlError> {
        let path = datadir + "/" + Grastate.fileName
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            do {
                try AtomicFile.replace(path, with: Grastate.settingSafeToBootstrap(in: text))
            } catch {
                return .failure(.grastate(path: path, message: error.description))
            }
        }
        return await run(.bootstrap)
    }

    /// Runs the action's command; its output when it exits 0.
    public func run(_ action: Action) async -> Result<Subprocess.Output, GaleraControlError> {
        let claimed = busy.withLock { current -> Action? in
            if let current { return current }
            current = action
            return nil
        }
        if let other = claimed { return .failure(.busy(other)) }
        defer { busy.withLock { $0 = nil } }
        let command = GaleraConfig.command(commandLine(action), on: node)
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec /bin/sh -c \"$1\"", directory, command]
        let timeout = commandTimeout
        let result: Result<Subprocess.Output, SubprocessError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(SubprocessError) {
                    continuation.resume(returning: .success(try Subprocess.run(argv, timeout: timeout)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch result {
        case .success(let output) where output.status == 0: return .success(output)
        case .success(let output): return .failure(.command(action: action, command: command, status: output.status, output: Self.tail(output)))
        case .failure(let error): return .failure(.spawn(action: action, error))
        }
    }

    func commandLine(_ action: Action) -> String {
        switch action {
        case .start: config.startCommand
        case .stop: config.stopCommand
        case .bootstrap: config.bootstrapCommand
        case .recover: config.recoverCommand
        }
    }

    /// The last lines of a command's output, for an error message (commands print no secrets of ours).
    static func tail(_ output: Subprocess.Output, lines: Int = 5) -> String {
        let all = (output.stdout + "\n" + output.stderr).split(whereSeparator: \.isNewline)
        return all.suffix(lines).joined(separator: " | ")
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}

/// Why a recovery action failed; carries the command's exit code and the tail of its output.
public enum GaleraControlError: Error, Sendable, CustomStringConvertible {
    case busy(GaleraNodeControl.Action)
    case command(action: GaleraNodeControl.Action, command: String, status: Int32, output: String)
    case spawn(action: GaleraNodeControl.Action, SubprocessError)
    case grastate(path: String, message: String)

    public var description: String {
        switch self {
        case .busy(let other): "another action (\(other.rawValue)) is running on this node"
        case .command(let action, let command, let status, let output):
            "\(action.rawValue) command `\(command)` exited \(status)" + (output.isEmpty ? "" : ": \(output)")
        case .spawn(let action, let error): "\(action.rawValue) command: \(error)"
        case .grastate(let path, let message): "cannot update \(path): \(message)"
        }
    }
}
