extension ClusterConfig {
    /// Which controller this node is, per SPEC §1: `--node NAME` if given (it must name a
    /// controller), else the hostname (full, then the part before the first dot) if it names one,
    /// else the single controller whose address is local.
    ///
    /// Pure: the caller passes the hostname and `LocalAddresses.current()`. Errors point at the
    /// `controllers:` key and tell the operator to use `--node`.
    public func identifyNode(explicit: String?, hostname: String, localAddresses: [IPAddress]) throws(ConfigErrors) -> Controller {
        if let explicit {
            if let controller = controller(named: explicit) { return controller }
            throw identityError("node \(configQuote(explicit)) is not a controller in this file (controllers: \(controllerList(withAddresses: false)))")
        }
        let shortHostname = String(hostname.prefix { $0 != "." })
        for name in [hostname, shortHostname] where !name.isEmpty {
            if let controller = controller(named: name) { return controller }
        }
        let local = Set(localAddresses)
        let matches = controllers.filter { local.contains($0.address) }
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            throw identityError("cannot tell which controller this node is: hostname \(configQuote(hostname)) names no controller and no controller address is local (controllers: \(controllerList(withAddresses: true))); use --node NAME")
        default:
            let names = matches.map { "\($0.name) \($0.address)" }.joined(separator: ", ")
            throw identityError("cannot tell which controller this node is: it has the addresses of several (\(names)); use --node NAME")
        }
    }

    private func controllerList(withAddresses: Bool) -> String {
        controllers.map { withAddresses ? "\($0.name) \($0.address)" : $0.name }.joined(separator: ", ")
    }

    private func identityError(_ message: String) -> ConfigErrors {
        let position = locations.controllers
        return ConfigErrors([ConfigError(file: path, line: position.line, column: position.column, message: message)])
    }
}
