extension ConfigReader {
    func readGalera(_ value: ConfigValue) -> GaleraConfig? {
        guard let map = fields(value) else { return nil }
        map.rejectUnknownKeys(allowed: [
            "user", "password_file", "port", "socket", "interval", "timeout", "available_when_donor",
            "available_when_readonly", "datadir", "writer_hold_down", "start_command", "stop_command",
            "bootstrap_command", "recover_command",
        ])
        let user = map.required("user", string)
        let password = map.required("password_file", secretFile)
        let defaults = GaleraConfig(user: "", passwordFile: "")
        let config = GaleraConfig(
            user: user ?? "", passwordFile: password ?? "",
            port: map.optional("port", port) ?? defaults.port,
            socket: map.optional("socket", absolutePath),
            interval: map.optional("interval", positiveDuration) ?? defaults.interval,
            timeout: map.optional("timeout", positiveDuration) ?? defaults.timeout,
            availableWhenDonor: map.optional("available_when_donor", bool) ?? defaults.availableWhenDonor,
            availableWhenReadonly: map.optional("available_when_readonly", bool) ?? defaults.availableWhenReadonly,
            datadir: map.optional("datadir", path) ?? defaults.datadir,
            writerHoldDown: map.optional("writer_hold_down", duration) ?? defaults.writerHoldDown,
            startCommand: map.optional("start_command", shellCommand) ?? defaults.startCommand,
            stopCommand: map.optional("stop_command", shellCommand) ?? defaults.stopCommand,
            bootstrapCommand: map.optional("bootstrap_command", shellCommand) ?? defaults.bootstrapCommand,
            recoverCommand: map.optional("recover_command", shellCommand) ?? defaults.recoverCommand
        )
        guard user != nil, password != nil else { return nil }
        return config
    }
}
