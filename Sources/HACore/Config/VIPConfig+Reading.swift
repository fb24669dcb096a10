extension ConfigReader {
    static let vipKeys = [
        "name", "vrid", "interface", "addresses", "priorities", "advert_interval", "version", "auth_pass_file",
        "preempt", "preempt_delay", "unicast", "track", "accept_from", "garp", "notify", "notify_timeout",
    ]

    /// What earlier VIPs claimed, so a clash is reported at the later one, naming the first.
    private struct Claims {
        var names: [String: SourcePosition] = [:]
        /// (interface, IPv4?, vrid) -> (VIP name, position of its vrid).
        var vrids: [String: (vip: String, position: SourcePosition)] = [:]
        /// Address -> (index, name) of the VIP that has it.
        var addresses: [IPAddress: (index: Int, vip: String)] = [:]
    }

    func readVIPs(_ value: ConfigValue) -> [VIPConfig]? {
        guard case .sequence = value.node else {
            report(value, "expected a list for vips, got \(value.described)")
            return nil
        }
        var claims = Claims()
        let vips = value.elements.enumerated().map { readVIP($1, index: $0, claims: &claims) }
        return vips.contains { $0 == nil } ? nil : vips.compactMap { $0 }
    }

    private func readVIP(_ value: ConfigValue, index: Int, claims: inout Claims) -> VIPConfig? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: Self.vipKeys)
        let name = map.required("name", string)
        let vrid = map.required("vrid", int(in: 1...255))
        let interface = map.required("interface", interfaceName)
        let addresses = map.required("addresses", nonEmptyList(network))
        let priorities = map.required("priorities", readPriorities)
        let version = map.optional("version", vrrpVersion) ?? 3
        let isIPv4 = addresses.flatMap { checkOneFamily($0, in: map) }
        let advertInterval = map.optional("advert_interval", advertInterval(version: version))
        let authPassFile = map.optional("auth_pass_file", secretFile)
        if version != 2, let position = map.position(of: "auth_pass_file") {
            report(position, "auth_pass_file is only valid with version: 2")
        }
        if version == 2, isIPv4 == false, let versionValue = map["version"] {
            report(versionValue, "version 2 (VRRPv2) carries IPv4 only; use version 3 for IPv6 addresses")
        }
        let unicast = map.optional("unicast", bool) ?? false
        if unicast, let isIPv4, let unicastValue = map["unicast"] {
            checkUnicastPeers(isIPv4: isIPv4, at: unicastValue)
        }
        let defaults = VIPConfig(name: "", vrid: 0, interface: "", addresses: [], priorities: [:])
        let vip = VIPConfig(
            name: name ?? "", vrid: vrid ?? 0, interface: interface ?? "", addresses: addresses ?? [],
            priorities: priorities ?? [:],
            advertInterval: advertInterval ?? (version == 2 ? .seconds(1) : defaults.advertInterval),
            version: version, authPassFile: authPassFile,
            preempt: map.optional("preempt", bool) ?? defaults.preempt,
            preemptDelay: map.optional("preempt_delay", duration) ?? defaults.preemptDelay,
            unicast: unicast,
            track: map.optional("track", readTrack) ?? defaults.track,
            acceptFrom: map.optional("accept_from", list(address)) ?? defaults.acceptFrom,
            garp: map.optional("garp", readGARP) ?? defaults.garp,
            notify: map.optional("notify", command),
            notifyTimeout: map.optional("notify_timeout", positiveDuration) ?? defaults.notifyTimeout
        )
        claim(vip, index: index, map: map, isIPv4: isIPv4, claims: &claims)
        guard name != nil, vrid != nil, interface != nil, addresses != nil, priorities != nil else { return nil }
        return vip
    }

    /// Reports names, VRIDs and addresses already taken by an earlier VIP or a controller.
    private func claim(_ vip: VIPConfig, index: Int, map: ConfigFields, isIPv4: Bool?, claims: inout Claims) {
        if let nameValue = map["name"], !vip.name.isEmpty {
            checkName(vip.name, kind: "VIP", at: nameValue.position)
            if let first = claims.names[vip.name] {
                report(nameValue, "duplicate VIP name \(configQuote(vip.name)) (first at \(first.line):\(first.column))")
            } else {
                claims.names[vip.name] = nameValue.position
            }
        }
        if let vridValue = map["vrid"], vip.vrid > 0, !vip.interface.isEmpty, let isIPv4 {
            let key = "\(vip.interface) \(isIPv4) \(vip.vrid)"
            let family = isIPv4 ? "IPv4" : "IPv6"
            if let first = claims.vrids[key] {
                report(vridValue, "vrid \(vip.vrid) on \(vip.interface) (\(family)) is already used by VIP \(configQuote(first.vip)) (first at \(first.position.line):\(first.position.column))")
            } else {
                claims.vrids[key] = (vip.name, vridValue.position)
            }
        }
        let elements = map["addresses"]?.elements ?? []
        for (network, element) in zip(vip.addresses, elements) {
            if let owner = controllerAddresses.first(where: { $0.value == network.address })?.key {
                report(element, "address \(network.address) is controller \(owner)'s own address")
            } else if let first = claims.addresses[network.address] {
                report(element, first.index == index
                    ? "address \(network.address) is listed twice"
                    : "address \(network.address) is already used by VIP \(configQuote(first.vip))")
            } else {
                claims.addresses[network.address] = (index, vip.name)
            }
        }
    }

    /// True if every address is IPv4, false if every one is IPv6; nil (reported) if mixed.
    private func checkOneFamily(_ addresses: [IPNetwork], in map: ConfigFields) -> Bool? {
        guard let first = addresses.first else { return nil }
        guard let index = addresses.firstIndex(where: { $0.address.isIPv4 != first.address.isIPv4 }) else {
            return first.address.isIPv4
        }
        if let element = map["addresses"]?.elements[index] {
            report(element, "addresses mix IPv4 and IPv6; use one VIP per address family")
        }
        return nil
    }

    private func checkUnicastPeers(isIPv4: Bool, at value: ConfigValue) {
        let names = controllerNames ?? []
        for name in names {
            guard let address = controllerAddresses[name], address.isIPv4 != isIPv4 else { continue }
            report(value, "unicast needs controller addresses of the VIP's family (\(isIPv4 ? "IPv4" : "IPv6")); controller \(name) has \(address)")
            return
        }
    }

    private func interfaceName(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard text.utf8.count <= 15, !text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == ":" }) else {
            report(value, "bad interface name \(configQuote(text)): at most 15 characters, without \"/\", \":\" or spaces")
            return nil
        }
        return text
    }

    private func vrrpVersion(_ value: ConfigValue) -> Int? {
        guard let version = int(value) else { return nil }
        guard version == 2 || version == 3 else {
            report(value, "version must be 2 or 3, got \(version)")
            return nil
        }
        return version
    }

    /// VRRPv3 counts centiseconds in 12 bits; VRRPv2 whole seconds in 8 bits.
    private func advertInterval(version: Int) -> (ConfigValue) -> Duration? {
        { value in
            guard let interval = self.duration(value) else { return nil }
            let nanos = DurationSyntax.nanoseconds(interval)
            if version == 2 {
                let second: Int128 = 1_000_000_000
                guard nanos % second == 0, (1...255).contains(nanos / second) else {
                    self.report(value, "advert_interval must be whole seconds between 1s and 255s for VRRPv2, got \(formatDuration(interval))")
                    return nil
                }
            } else {
                let centisecond: Int128 = 10_000_000
                guard nanos % centisecond == 0, (1...4095).contains(nanos / centisecond) else {
                    self.report(value, "advert_interval must be a multiple of 10ms between 10ms and 40.95s for VRRPv3, got \(formatDuration(interval))")
                    return nil
                }
            }
            return interval
        }
    }

    /// Controller name -> priority; every controller needs one.
    private func readPriorities(_ value: ConfigValue) -> [String: Int]? {
        guard let map = fields(value) else { return nil }
        var priorities: [String: Int] = [:]
        var broken = false
        for entry in map.entries {
            if let known = controllerNames, !known.contains(entry.key) {
                var message = "priorities: unknown controller \(configQuote(entry.key))"
                if let guess = suggestion(for: entry.key, among: known) { message += "; did you mean \(configQuote(guess))?" }
                report(entry.keyPosition, message)
                broken = true
                continue
            }
            guard entry.value.isPlain, let text = entry.value.scalarText, let priority = Int(text) else {
                report(entry.value, "expected an integer priority for \(entry.key), got \(entry.value.described)")
                broken = true
                continue
            }
            guard (1...254).contains(priority) else {
                report(entry.value, "priority for \(entry.key) must be between 1 and 254, got \(priority)")
                broken = true
                continue
            }
            priorities[entry.key] = priority
        }
        for name in controllerNames ?? [] where map[name] == nil {
            report(value.keyPosition, "priorities: controller \(name) has no priority")
            broken = true
        }
        return broken ? nil : priorities
    }

    /// Check name -> weight or `fault`, in file order.
    private func readTrack(_ value: ConfigValue) -> [TrackEntry]? {
        guard let map = fields(value) else { return nil }
        let known = checkNames + Self.moduleVerdicts.filter { sectionsPresent.contains($0) }
        var entries: [TrackEntry] = []
        var broken = false
        for entry in map.entries {
            if Self.moduleVerdicts.contains(entry.key) && !sectionsPresent.contains(entry.key) {
                report(entry.keyPosition, "track: \(configQuote(entry.key)) is the \(entry.key) module's verdict, but there is no \(entry.key) section")
                broken = true
            } else if !known.contains(entry.key) {
                var message = "track: unknown check \(configQuote(entry.key))"
                if let guess = suggestion(for: entry.key, among: known) { message += "; did you mean \(configQuote(guess))?" }
                report(entry.keyPosition, message)
                broken = true
            }
            guard let effect = trackEffect(entry) else {
                broken = true
                continue
            }
            entries.append(TrackEntry(check: entry.key, effect: effect))
        }
        return broken ? nil : entries
    }

    private func trackEffect(_ entry: ConfigFields.Entry) -> TrackEffect? {
        let text = entry.value.scalarText
        if text == "fault" { return .fault }
        if entry.value.isPlain, let text, let weight = Int(text), (-253...253).contains(weight) {
            return .weight(weight)
        }
        report(entry.value, "track weight for \(entry.key) must be an integer between -253 and 253 or \"fault\", got \(entry.value.described)")
        return nil
    }

    private func readGARP(_ value: ConfigValue) -> GARPConfig? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: ["count", "delay", "refresh"])
        let defaults = GARPConfig()
        return GARPConfig(
            count: map.optional("count", int(in: 1...100)) ?? defaults.count,
            delay: map.optional("delay", duration) ?? defaults.delay,
            refresh: map.optional("refresh", duration) ?? defaults.refresh
        )
    }

    /// A command line whose program is an absolute path.
    private func command(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        guard text.hasPrefix("/") else {
            report(value, "\(value.name) must start with an absolute path to a command, got \(configQuote(text))")
            return nil
        }
        return text
    }
}
