import Yams

extension ConfigReader {
    static let topLevelKeys = ["cluster", "controllers", "vips", "checks", "galera", "rabbitmq", "compute"]

    /// The whole file; nil once anything is wrong (see `errors`).
    func readClusterConfig(_ yaml: String) -> ClusterConfig? {
        guard let node = compose(yaml), let top = fields(root(node)) else { return nil }
        top.rejectUnknownKeys(allowed: Self.topLevelKeys)
        sectionsPresent = Set(top.entries.map(\.key))

        // Order matters: VIPs refer to controllers, checks and module sections.
        let cluster = top.required("cluster", readClusterSettings)
        let controllers = top.required("controllers", readControllers)
        let checks = top.optional("checks", readChecks)
        let galera = top.optional("galera", readGalera)
        let rabbitmq = top.optional("rabbitmq", readRabbitMQ)
        let compute = top.optional("compute", readCompute)
        let vips = top.optional("vips", readVIPs)

        guard let cluster, let controllers, errors.isEmpty else { return nil }
        var config = ClusterConfig(
            path: absolutePath, cluster: cluster, controllers: controllers, vips: vips ?? [],
            checks: checks ?? [], galera: galera, rabbitmq: rabbitmq, compute: compute
        )
        config.locations.controllers = top.position(of: "controllers") ?? config.locations.controllers
        return config
    }

    func readClusterSettings(_ value: ConfigValue) -> ClusterSettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["name", "secret_file", "api_port", "agent_check_port", "listen_address"])
        let name = map.required("name", string)
        let secret = map.required("secret_file", clusterSecretFile)
        let apiPort = map.optional("api_port", port) ?? 9780
        let agentCheckPort = map.optional("agent_check_port", port) ?? 9781
        if apiPort == agentCheckPort, let position = map.position(of: "agent_check_port") ?? map.position(of: "api_port") {
            report(position, "api_port and agent_check_port must differ (both are \(apiPort))")
        }
        let listen = map.optional("listen_address", listenAddress)
        guard let name, let secret else { return nil }
        return ClusterSettings(name: name, secretFile: secret, apiPort: apiPort, agentCheckPort: agentCheckPort,
                               listenAddress: listen ?? .controller)
    }

    /// `controller` or an IP address.
    func listenAddress(_ value: ConfigValue) -> ListenAddress? {
        guard let text = value.scalarText else {
            report(value, "expected \"controller\" or an address for \(value.name), got \(value.described)")
            return nil
        }
        if text == "controller" { return .controller }
        guard let address = IPAddress(text) else {
            report(value, "bad listen_address \(configQuote(text)): expected \"controller\" or an IP address")
            return nil
        }
        return .address(address)
    }

    func readControllers(_ value: ConfigValue) -> [Controller]? {
        guard let map = fields(value) else { return nil }
        controllerNames = map.entries.map(\.key)
        guard !map.entries.isEmpty else {
            report(value, "controllers must name at least one controller")
            return nil
        }
        var firstByAddress: [IPAddress: String] = [:]
        let controllers = map.entries.map { entry -> Controller? in
            checkName(entry.key, kind: "controller", at: entry.keyPosition)
            guard let settings = fields(entry.value) else { return nil }
            settings.rejectUnknownKeys(allowed: ["address", "addresses"])
            let networkAddresses = settings.optional("addresses", nonEmptyList(self.address)) ?? []
            guard let address = settings.required("address", self.address) else { return nil }
            controllerAddresses[entry.key] = address
            if let first = firstByAddress[address], let position = settings["address"]?.position {
                report(position, "address \(address) is already used by controller \(first)")
                return nil
            }
            firstByAddress[address] = entry.key
            return Controller(name: entry.key, address: address, networkAddresses: networkAddresses)
        }
        let counts = Set(controllers.compactMap { $0?.networkAddresses.count })
        controllerNetworks = counts.count == 1 ? counts.first.flatMap { $0 > 0 ? $0 : nil } : nil
        if counts.count > 1, let position = map.entries.first?.keyPosition {
            report(position, "every controller needs the same number of addresses (one per network), got \(counts.sorted().map(String.init).joined(separator: ", "))")
        }
        return controllers.contains { $0 == nil } ? nil : controllers.compactMap { $0 }
    }
}
