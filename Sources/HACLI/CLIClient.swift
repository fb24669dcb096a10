import ArgumentParser
import HACore

enum CLIClient {
    /// An agent client signed with the cluster secret; a missing secret is a config error (exit 2).
    static func make(_ config: ClusterConfig) throws -> AgentClient {
        do {
            return AgentClient(config: config, signer: try RequestSigner(secretFile: config.cluster.secretFile),
                               http: HTTPClient(threads: 4))
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
    }
}
