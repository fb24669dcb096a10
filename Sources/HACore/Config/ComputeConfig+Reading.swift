extension ConfigReader {
    func readCompute(_ value: ConfigValue) -> ComputeConfig? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["nova", "detection", "recovery", "hosts"])
        let nova = map.required("nova", readNova)
        let detection = map.optional("detection", readDetection) ?? DetectionSettings()
        let recovery = map.optional("recovery", readRecovery) ?? RecoverySettings()
        let hosts = map.required("hosts", readComputeHosts)
        guard let nova, let hosts else { return nil }
        return ComputeConfig(nova: nova, detection: detection, recovery: recovery, hosts: hosts)
    }

    private func readNova(_ value: ConfigValue) -> NovaSettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: [
            "auth_url", "username", "password_file", "project", "user_domain", "project_domain", "region",
            "compute_api_version", "interface",
        ])
        let authURL = map.required("auth_url", url)
        let username = map.required("username", string)
        let password = map.required("password_file", secretFile)
        let project = map.required("project", string)
        let defaults = NovaSettings(authURL: "", username: "", passwordFile: "", project: "")
        let userDomain = map.optional("user_domain", string) ?? defaults.userDomain
        let projectDomain = map.optional("project_domain", string) ?? defaults.projectDomain
        let region = map.optional("region", string) ?? defaults.region
        let version = map.optional("compute_api_version", microversion) ?? defaults.computeAPIVersion
        let interface = map.optional("interface", oneOf(["internal", "public", "admin"])) ?? defaults.interface
        guard let authURL, let username, let password, let project else { return nil }
        return NovaSettings(
            authURL: authURL, username: username, passwordFile: password, project: project, userDomain: userDomain,
            projectDomain: projectDomain, region: region, computeAPIVersion: version, interface: interface
        )
    }

    private func readDetection(_ value: ConfigValue) -> DetectionSettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["heartbeat_interval", "failure_timeout", "icmp", "max_failed_fraction"])
        let defaults = DetectionSettings()
        let interval = map.optional("heartbeat_interval", positiveDuration) ?? defaults.heartbeatInterval
        let timeout = map.optional("failure_timeout", positiveDuration) ?? defaults.failureTimeout
        let icmp = map.optional("icmp", bool) ?? defaults.icmp
        let fraction = map.optional("max_failed_fraction", fraction) ?? defaults.maxFailedFraction
        if timeout <= interval,
           let position = map["failure_timeout"]?.position ?? map["heartbeat_interval"]?.position {
            report(position, "failure_timeout (\(formatDuration(timeout))) must be greater than heartbeat_interval (\(formatDuration(interval)))")
        }
        return DetectionSettings(heartbeatInterval: interval, failureTimeout: timeout, icmp: icmp, maxFailedFraction: fraction)
    }

    private func readRecovery(_ value: ConfigValue) -> RecoverySettings? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: [
            "method", "reserved_hosts", "instances", "concurrency", "automatic", "auto_enable", "error_instances",
            "fence_timeout", "evacuation_timeout",
        ])
        let defaults = RecoverySettings()
        let method = map.optional("method", oneOf(RecoverySettings.methods)) ?? defaults.method
        let reserved = map.optional("reserved_hosts", list(string)) ?? defaults.reservedHosts
        let instances = map.optional("instances", oneOf(RecoverySettings.instanceSelections)) ?? defaults.instances
        let concurrency = map.optional("concurrency", int(in: 1...64)) ?? defaults.concurrency
        if ["reserved_host", "rh_priority"].contains(method), reserved.isEmpty, let methodValue = map["method"] {
            report(methodValue, "method \(method) needs at least one host in reserved_hosts")
        }
        return RecoverySettings(
            method: method, reservedHosts: reserved, instances: instances, concurrency: concurrency,
            automatic: map.optional("automatic", bool) ?? defaults.automatic,
            autoEnable: map.optional("auto_enable", bool) ?? defaults.autoEnable,
            errorInstances: map.optional("error_instances", oneOf(RecoverySettings.errorInstanceChoices)) ?? defaults.errorInstances,
            fenceTimeout: map.optional("fence_timeout", positiveDuration) ?? defaults.fenceTimeout,
            evacuationTimeout: map.optional("evacuation_timeout", positiveDuration) ?? defaults.evacuationTimeout)
    }

    private func readComputeHosts(_ value: ConfigValue) -> [ComputeHost]? {
        guard let map = fields(value) else { return nil }
        guard !map.entries.isEmpty else {
            report(value, "hosts must name at least one compute host")
            return nil
        }
        var firstByAddress: [IPAddress: String] = [:]
        let hosts = map.entries.map { entry -> ComputeHost? in
            checkName(entry.key, kind: "compute host", at: entry.keyPosition)
            guard let host = fields(entry.value) else { return nil }
            host.rejectUnknownKeys(allowed: ["addresses", "fence"])
            let addresses = host.required("addresses", nonEmptyList(address))
            let fence = host.required("fence", readFence)
            for (index, address) in (addresses ?? []).enumerated() {
                guard let first = firstByAddress[address] else {
                    firstByAddress[address] = entry.key
                    continue
                }
                let position = host["addresses"]?.elements[index].position ?? entry.keyPosition
                report(position, first == entry.key
                    ? "address \(address) is listed twice"
                    : "address \(address) is already used by compute host \(first)")
            }
            if let networks = controllerNetworks, let addresses, addresses.count != networks,
               let position = host["addresses"]?.position {
                report(position, "compute host \(entry.key) lists \(addresses.count) address(es), the controllers \(networks) (one per network, in the same order)")
            }
            guard let addresses, let fence else { return nil }
            return ComputeHost(name: entry.key, addresses: addresses, fence: fence)
        }
        return hosts.contains { $0 == nil } ? nil : hosts.compactMap { $0 }
    }

    private func readFence(_ value: ConfigValue) -> FenceConfig? {
        guard let map = fields(value) else { return nil }
        let agent = map.required("agent", fenceAgent)
        let password = map.optional("password_file", secretFile)
        var parameters: [KeyValue] = []
        var broken = false
        for entry in map.entries where entry.key != "agent" && entry.key != "password_file" {
            guard let parameter = fenceParameter(entry) else {
                broken = true
                continue
            }
            parameters.append(parameter)
        }
        guard let agent, !broken else { return nil }
        return FenceConfig(agent: agent, passwordFile: password, parameters: parameters)
    }

    /// A fence-agents program: a bare name found on PATH, or an absolute path.
    private func fenceAgent(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard !text.contains(where: \.isWhitespace), text.hasPrefix("/") || !text.contains("/") else {
            report(value, "agent must be a fence agent's name (e.g. fence_ipmilan) or an absolute path, got \(configQuote(text))")
            return nil
        }
        return text
    }

    /// One `key=value` line for the agent's stdin.
    private func fenceParameter(_ entry: ConfigFields.Entry) -> KeyValue? {
        if ConfigFields.inlineSecretKeys[entry.key] != nil {
            report(entry.keyPosition, "inline secrets are not allowed; use password_file")
            return nil
        }
        if entry.key == "action" {
            report(entry.keyPosition, "fence key \"action\" is set by hactl (off, status); remove it")
            return nil
        }
        guard !entry.key.isEmpty, entry.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            report(entry.keyPosition, "bad fence parameter name \(configQuote(entry.key)): use letters, digits, \"_\" and \"-\"")
            return nil
        }
        guard let text = entry.value.scalarText else {
            report(entry.value, "expected a single value for fence parameter \(entry.key), got \(entry.value.described)")
            return nil
        }
        guard !text.contains(where: \.isNewline) else {
            report(entry.value, "fence parameter \(entry.key) must be a single line")
            return nil
        }
        return KeyValue(key: entry.key, value: text)
    }

    /// An `http://` or `https://` URL.
    func url(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        let rest = text.hasPrefix("http://") ? text.dropFirst(7) : text.hasPrefix("https://") ? text.dropFirst(8) : nil
        guard let rest, let host = rest.split(separator: "/", omittingEmptySubsequences: false).first, !host.isEmpty,
              !text.contains(where: \.isWhitespace) else {
            report(value, "\(value.name) must be an http:// or https:// URL, got \(configQuote(text))")
            return nil
        }
        return text
    }

    /// A number in (0, 1]: `0.5`.
    private func fraction(_ value: ConfigValue) -> Double? {
        guard let text = value.scalarText else {
            report(value, "expected a number for \(value.name), got \(value.described)")
            return nil
        }
        guard text.count <= 32, let number = Double(text), number.isFinite, number > 0, number <= 1 else {
            report(value, "\(value.name) must be a number greater than 0 and at most 1, got \(configQuote(text))")
            return nil
        }
        return number
    }

    /// A Nova microversion, `MAJOR.MINOR`.
    private func microversion(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            report(value, "compute_api_version must look like MAJOR.MINOR (e.g. 2.93), got \(configQuote(text))")
            return nil
        }
        return text
    }
}
