import HACore

/// The recovery's I/O on a real cloud: the fence agent for `fence`, Nova for the rest. The
/// microversion is negotiated once per backend (at the first Nova call).
public actor OpenStackBackend: RecoveryBackend {
    public let host: String
    private let fencer: FenceRunner
    private let nova: NovaClient
    private var version: Microversion?

    public init(host: String, fencer: FenceRunner, nova: NovaClient) {
        self.host = host
        self.fencer = fencer
        self.nova = nova
    }

    private func negotiated() async throws(OpenStackError) -> Microversion {
        if let version { return version }
        let chosen = try await nova.negotiate()
        version = chosen
        return chosen
    }

    private func service(_ name: String) async throws(OpenStackError) -> (NovaClient.Service, Microversion) {
        let version = try await negotiated()
        guard let service = try await nova.computeService(host: name, version: version) else {
            throw OpenStackError("nova", "find the service of \(name)", .status(404), "Nova knows no nova-compute on host \(name)")
        }
        return (service, version)
    }

    public func fence(attempt: Int) async -> FenceOutcome {
        await fencer.fence()
    }

    public func forceDown() async -> (ok: Bool, detail: String) {
        do {
            let (service, version) = try await service(host)
            try await nova.setForcedDown(service, true, version: version)
            return (true, "nova-compute on \(host) forced down (microversion \(version))")
        } catch {
            return (false, error.description)
        }
    }

    public func disable(reason: String) async -> (ok: Bool, detail: String) {
        do {
            let (service, version) = try await service(host)
            try await nova.setEnabled(service, false, reason: reason, version: version)
            return (true, "disabled: \(reason)")
        } catch {
            return (false, error.description)
        }
    }

    public func listServers() async -> Result<[ServerView], RecoveryStateMachine.StepFailure> {
        do {
            let version = try await negotiated()
            return .success(try await nova.servers(host: host, version: version))
        } catch {
            return .failure(.init(error.description))
        }
    }

    public func enableReservedHost(_ name: String) async -> (ok: Bool, detail: String) {
        do {
            let (service, version) = try await service(name)
            try await nova.setEnabled(service, true, version: version)
            return (true, "reserved host \(name) enabled")
        } catch {
            return (false, error.description)
        }
    }

    public func evacuate(_ id: String, target: String?) async -> EvacuateAnswer {
        do {
            let version = try await negotiated()
            return await nova.evacuate(id, to: target, version: version)
        } catch {
            return .rejected(error.description)
        }
    }

    public func inspect(_ id: String, since: WallTime) async -> Result<(server: ServerView?, recorded: Bool), RecoveryStateMachine.StepFailure> {
        do {
            let version = try await negotiated()
            guard let server = try await nova.server(id, version: version) else { return .success((nil, false)) }
            let recorded = try await nova.evacuationRecorded(id, since: since, version: version)
            return .success((server, recorded))
        } catch {
            return .failure(.init(error.description))
        }
    }

    public func poll(_ ids: [String]) async -> Result<[ServerView], RecoveryStateMachine.StepFailure> {
        // One GET per server, all at once: at most `concurrency` (<= 64) are ever in flight.
        let version: Microversion
        do { version = try await negotiated() } catch { return .failure(.init(error.description)) }
        let nova = nova
        return await withTaskGroup(of: Result<ServerView?, OpenStackError>.self) { group in
            for id in ids {
                group.addTask {
                    do throws(OpenStackError) { return .success(try await nova.server(id, version: version)) } catch { return .failure(error) }
                }
            }
            var found: [ServerView] = []
            for await result in group {
                switch result {
                case .success(let server): if let server { found.append(server) }
                case .failure(let error):
                    group.cancelAll()
                    return .failure(.init(error.description))
                }
            }
            return .success(found)
        }
    }

    public func start(_ id: String) async -> (ok: Bool, detail: String) {
        do {
            let version = try await negotiated()
            try await nova.start(id, version: version)
            return (true, "started")
        } catch {
            return (false, error.description)
        }
    }
}
