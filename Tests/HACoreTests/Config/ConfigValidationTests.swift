import Foundation
import Testing

@testable import HACore

/// A config with known problems and the exact `FILE:LINE:COL: message` lines it must produce.
/// `$DIR` stands for the temp directory holding the config and its secret files.
struct BrokenConfig: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var expected: [String]
    /// Extra files to create first: (name, mode).
    var files: [(name: String, mode: UInt32)] = []

    var testDescription: String { name }
}

private let file = "$DIR/cluster.yaml"

let brokenConfigs: [BrokenConfig] = [
    BrokenConfig(
        name: "YAML syntax error",
        yaml: "cluster:\n  name: lab\n   bad: x\n",
        expected: ["\(file):3:7: YAML syntax error: mapping values are not allowed in this context"]
    ),
    BrokenConfig(
        name: "tab indentation",
        yaml: "cluster:\n\tname: x\n",
        expected: ["\(file):2:1: YAML syntax error: found character that cannot start any token (while scanning for the next token at line 2, column 1)"]
    ),
    BrokenConfig(
        name: "top level is a list",
        yaml: "- cluster\n- controllers\n",
        expected: ["\(file):1:1: expected a mapping at the top level, got a list"]
    ),
    BrokenConfig(
        name: "empty file",
        yaml: "# nothing here\n",
        expected: ["\(file):1:1: the file is empty; expected a mapping with cluster, controllers and the other sections"]
    ),
    BrokenConfig(
        name: "unknown keys with suggestions",
        yaml: minimalHead + """
            vips:
              - name: public
                vrid: 51
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 150, ctl2: 100 }
                advert_intervl: 100ms
            clusters: {}
            """,
        expected: [
            "\(file):13:5: unknown key \"advert_intervl\" in vips[0]; did you mean \"advert_interval\"?",
            "\(file):14:1: unknown key \"clusters\" at the top level; did you mean \"cluster\"?",
        ]
    ),
    BrokenConfig(
        name: "wrong types",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
              api_port: abc
              agent_check_port: [1]
            controllers:
              ctl1: { address: 198.18.0.11 }
              ctl2: 198.18.0.12
            """,
        expected: [
            "\(file):4:13: expected an integer for api_port, got \"abc\"",
            "\(file):5:21: expected an integer for agent_check_port, got a list",
            "\(file):8:9: expected a mapping for ctl2, got \"198.18.0.12\"",
        ]
    ),
    BrokenConfig(
        name: "ports out of range",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
              api_port: 70000
              agent_check_port: 0
            controllers:
              ctl1: { address: 198.18.0.11 }
            """,
        expected: [
            "\(file):4:13: api_port must be between 1 and 65535, got 70000",
            "\(file):5:21: agent_check_port must be between 1 and 65535, got 0",
        ]
    ),
    BrokenConfig(
        name: "api and agent-check ports clash",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
              api_port: 9000
              agent_check_port: 9000
            controllers:
              ctl1: { address: 198.18.0.11 }
            """,
        expected: ["\(file):5:3: api_port and agent_check_port must differ (both are 9000)"]
    ),
    BrokenConfig(
        name: "bad durations, zero interval, timeout above interval",
        yaml: minimalHead + """
            checks:
              a: { tcp: 127.0.0.1:1, interval: 5 }
              b: { tcp: 127.0.0.1:2, interval: 5 sec }
              c: { tcp: 127.0.0.1:3, interval: 0s }
              d: { tcp: 127.0.0.1:4, interval: 1s, timeout: 2s }
              e: { tcp: 127.0.0.1:5, interval: 1.0000000001s }
            """,
        expected: [
            "\(file):8:36: bad duration \"5\": expected a number with a unit (ms, s, m, h)",
            "\(file):9:36: bad duration \"5 sec\": expected a number with a unit (ms, s, m, h)",
            "\(file):10:36: interval must be greater than 0",
            "\(file):11:49: timeout (2s) must not exceed interval (1s)",
            "\(file):12:36: bad duration \"1.0000000001s\": finer than a nanosecond",
        ]
    ),
    BrokenConfig(
        name: "bad addresses and prefixes",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
            controllers:
              ctl1: { address: 198.18.0.300 }
              ctl2: { address: 198.18.0.12 }
            vips:
              - name: v
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/33, "2001:db8::1/129", 198.18.0.1/x, 10.0.0.0/8]
                priorities: { ctl1: 1, ctl2: 2 }
                accept_from: [localhost]
            """,
        expected: [
            "\(file):5:20: bad address \"198.18.0.300\"",
            "\(file):11:17: bad prefix length in \"198.18.0.10/33\": must be 0 to 32 for IPv4",
            "\(file):11:33: bad prefix length in \"2001:db8::1/129\": must be 0 to 128 for IPv6",
            "\(file):11:52: bad prefix length in \"198.18.0.1/x\": must be 0 to 32 for IPv4",
            "\(file):13:19: bad address \"localhost\"",
        ]
    ),
    BrokenConfig(
        name: "VRID range, VRID reuse per interface and family, VIP name reuse",
        yaml: minimalHead + """
            vips:
              - { name: a, vrid: 0, interface: eth0, addresses: [198.18.0.10/24], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: b, vrid: 256, interface: eth0, addresses: [198.18.0.20/24], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: c, vrid: 7, interface: eth0, addresses: [198.18.0.30/24], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: d, vrid: 7, interface: eth0, addresses: [198.18.0.40/24], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: e, vrid: 7, interface: eth1, addresses: [198.18.0.50/24], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: f, vrid: 7, interface: eth0, addresses: ["2001:db8::1/64"], priorities: { ctl1: 1, ctl2: 2 } }
              - { name: c, vrid: 8, interface: eth0, addresses: [198.18.0.60/24], priorities: { ctl1: 1, ctl2: 2 } }
            """,
        expected: [
            "\(file):8:22: vrid must be between 1 and 255, got 0",
            "\(file):9:22: vrid must be between 1 and 255, got 256",
            "\(file):11:22: vrid 7 on eth0 (IPv4) is already used by VIP \"c\" (first at 10:22)",
            "\(file):14:13: duplicate VIP name \"c\" (first at 10:13)",
        ]
    ),
    BrokenConfig(
        name: "priorities: range, unknown and missing controllers",
        yaml: minimalHead + """
            vips:
              - name: v
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 255, ctl3: 5 }
              - name: w
                vrid: 2
                interface: eth0
                addresses: [198.18.0.20/24]
                priorities: { ctl1: 0, ctl2: high }
            """,
        expected: [
            "\(file):12:5: priorities: controller ctl2 has no priority",
            "\(file):12:25: priority for ctl1 must be between 1 and 254, got 255",
            "\(file):12:30: priorities: unknown controller \"ctl3\"; did you mean \"ctl1\"?",
            "\(file):17:25: priority for ctl1 must be between 1 and 254, got 0",
            "\(file):17:34: expected an integer priority for ctl2, got \"high\"",
        ]
    ),
    BrokenConfig(
        name: "duplicate keys, controller addresses and compute host addresses",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
              name: lab2
            controllers:
              ctl1: { address: 198.18.0.11 }
              ctl1: { address: 198.18.0.12 }
              ctl2: { address: 198.18.0.11 }
            checks:
              web: { tcp: 127.0.0.1:80 }
              web: { tcp: 127.0.0.1:81 }
            compute:
              nova: { auth_url: "http://k/v3", username: n, password_file: nova.pass, project: p }
              hosts:
                c1: { addresses: [198.18.1.1], fence: { agent: fence_ipmilan } }
                c1: { addresses: [198.18.1.2], fence: { agent: fence_ipmilan } }
                c2: { addresses: [198.18.1.1], fence: { agent: fence_ipmilan } }
            """,
        expected: [
            "\(file):4:3: duplicate key \"name\" in cluster (first at 2:3)",
            "\(file):7:3: duplicate key \"ctl1\" in controllers (first at 6:3)",
            "\(file):8:20: address 198.18.0.11 is already used by controller ctl1",
            "\(file):11:3: duplicate key \"web\" in checks (first at 10:3)",
            "\(file):16:5: duplicate key \"c1\" in compute.hosts (first at 15:5)",
            "\(file):17:23: address 198.18.1.1 is already used by compute host c1",
        ]
    ),
    BrokenConfig(
        name: "VRRP version rules",
        yaml: minimalHead + """
            vips:
              - name: a
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 1, ctl2: 2 }
                version: 4
              - name: b
                vrid: 2
                interface: eth0
                addresses: [198.18.0.20/24]
                priorities: { ctl1: 1, ctl2: 2 }
                advert_interval: 105ms
                auth_pass_file: vrrp.pass
              - name: c
                vrid: 3
                interface: eth0
                addresses: ["2001:db8::1/64"]
                priorities: { ctl1: 1, ctl2: 2 }
                version: 2
                advert_interval: 100ms
              - name: d
                vrid: 4
                interface: eth0
                addresses: [198.18.0.40/24]
                priorities: { ctl1: 1, ctl2: 2 }
                advert_interval: 41s
            """,
        expected: [
            "\(file):13:14: version must be 2 or 3, got 4",
            "\(file):19:22: advert_interval must be a multiple of 10ms between 10ms and 40.95s for VRRPv3, got 105ms",
            "\(file):20:5: auth_pass_file is only valid with version: 2",
            "\(file):26:14: version 2 (VRRPv2) carries IPv4 only; use version 3 for IPv6 addresses",
            "\(file):27:22: advert_interval must be whole seconds between 1s and 255s for VRRPv2, got 100ms",
            "\(file):33:22: advert_interval must be a multiple of 10ms between 10ms and 40.95s for VRRPv3, got 41s",
        ]
    ),
    BrokenConfig(
        name: "track: unknown check, module without section, bad weights",
        yaml: minimalHead + """
            checks:
              haproxy: { tcp: 127.0.0.1:80 }
            vips:
              - name: a
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 1, ctl2: 2 }
                track: { haproxyy: -10, galera: -60, haproxy: 300, rabbitmq: fatal }
            """,
        expected: [
            "\(file):15:14: track: unknown check \"haproxyy\"; did you mean \"haproxy\"?",
            "\(file):15:29: track: \"galera\" is the galera module's verdict, but there is no galera section",
            "\(file):15:51: track weight for haproxy must be an integer between -253 and 253 or \"fault\", got \"300\"",
            "\(file):15:56: track: \"rabbitmq\" is the rabbitmq module's verdict, but there is no rabbitmq section",
            "\(file):15:66: track weight for rabbitmq must be an integer between -253 and 253 or \"fault\", got \"fatal\"",
        ]
    ),
    BrokenConfig(
        name: "missing required keys",
        yaml: """
            cluster:
              secret_file: cluster.key
            vips:
              - name: a
            galera:
              port: 3306
            """,
        expected: [
            "\(file):1:1: missing required key \"name\" in cluster",
            "\(file):1:1: missing required key \"controllers\" at the top level",
            "\(file):4:5: missing required key \"vrid\" in vips[0]",
            "\(file):4:5: missing required key \"interface\" in vips[0]",
            "\(file):4:5: missing required key \"addresses\" in vips[0]",
            "\(file):4:5: missing required key \"priorities\" in vips[0]",
            "\(file):5:1: missing required key \"user\" in galera",
            "\(file):5:1: missing required key \"password_file\" in galera",
        ]
    ),
    BrokenConfig(
        name: "empty controllers",
        yaml: "cluster: { name: lab, secret_file: cluster.key }\ncontrollers: {}\n",
        expected: ["\(file):2:14: controllers must name at least one controller"]
    ),
    BrokenConfig(
        name: "secret files: missing, too open, not a regular file",
        yaml: """
            cluster:
              name: lab
              secret_file: missing.key
            controllers:
              ctl1: { address: 198.18.0.11 }
            galera: { user: u, password_file: open.pass }
            rabbitmq:
              amqp: { user: u, password_file: $DIR }
              management: { password_file: group.pass }
            """,
        expected: [
            "\(file):3:16: secret file $DIR/missing.key: No such file or directory",
            "\(file):6:35: secret file $DIR/open.pass has mode 0644; it must not be accessible by group or others (chmod 600)",
            "\(file):8:35: secret file $DIR is not a regular file",
            "\(file):9:32: secret file $DIR/group.pass has mode 0640; it must not be accessible by group or others (chmod 600)",
        ],
        files: [("open.pass", 0o644), ("group.pass", 0o640)]
    ),
    BrokenConfig(
        name: "compute: nova, detection, recovery enums, fence without agent",
        yaml: minimalHead + """
            compute:
              nova: { auth_url: "keystone:5000", username: n, password_file: nova.pass, project: p, compute_api_version: 2 }
              detection: { heartbeat_interval: 5s, failure_timeout: 5s }
              recovery: { method: fast, instances: some, concurrency: 65 }
              hosts:
                c1: { addresses: [198.18.1.1], fence: { ip: 198.18.3.1, action: reboot } }
                c2: { addresses: [], fence: { agent: fence ipmilan, password: x } }
            """,
        expected: [
            "\(file):8:21: auth_url must be an http:// or https:// URL, got \"keystone:5000\"",
            "\(file):8:110: compute_api_version must look like MAJOR.MINOR (e.g. 2.93), got \"2\"",
            "\(file):9:57: failure_timeout (5s) must be greater than heartbeat_interval (5s)",
            "\(file):10:23: method must be one of auto, reserved_host, auto_priority, rh_priority, got \"fast\"",
            "\(file):10:40: instances must be one of ha_enabled, all, got \"some\"",
            "\(file):10:59: concurrency must be between 1 and 64, got 65",
            "\(file):12:36: missing required key \"agent\" in compute.hosts.c1.fence",
            "\(file):12:61: fence key \"action\" is set by hactl (off, status); remove it",
            "\(file):13:22: addresses must not be empty",
            "\(file):13:42: agent must be a fence agent's name (e.g. fence_ipmilan) or an absolute path, got \"fence ipmilan\"",
            "\(file):13:57: inline secrets are not allowed; use password_file",
        ]
    ),
    BrokenConfig(
        name: "inline secrets anywhere",
        yaml: """
            cluster:
              name: lab
              secret: abc
              secret_file: cluster.key
            controllers:
              ctl1: { address: 198.18.0.11, password: x }
            vips:
              - { name: v, vrid: 1, interface: eth0, addresses: [198.18.0.10/24], priorities: { ctl1: 1 }, auth_pass: x }
            """,
        expected: [
            "\(file):3:3: inline secrets are not allowed; use secret_file",
            "\(file):6:33: inline secrets are not allowed; use password_file",
            "\(file):8:96: inline secrets are not allowed; use auth_pass_file",
        ]
    ),
    BrokenConfig(
        name: "checks: tcp/http exclusivity, targets, reserved names",
        yaml: minimalHead + """
            checks:
              both: { tcp: 127.0.0.1:80, http: "http://127.0.0.1/" }
              none: { interval: 1s }
              v6: { tcp: "::1:80" }
              host: { tcp: "localhost:80" }
              port: { tcp: "127.0.0.1:99999", expect: 200 }
              url: { http: "ftp://x/", expect: 600 }
              galera: { tcp: 127.0.0.1:3306, rise: 0 }
            """,
        expected: [
            "\(file):8:30: a check needs exactly one of tcp or http, not both",
            "\(file):9:3: missing required key \"tcp\" or \"http\" in checks.none",
            "\(file):10:14: bad tcp target \"::1:80\": expected HOST:PORT (e.g. 127.0.0.1:3306 or \"[::1]:3306\")",
            "\(file):11:16: bad address \"localhost\"",
            "\(file):12:16: tcp port must be between 1 and 65535, got \"99999\"",
            "\(file):12:35: expect is only valid with http",
            "\(file):13:16: http must be an http:// or https:// URL, got \"ftp://x/\"",
            "\(file):13:36: expect must be between 100 and 599, got 600",
            "\(file):14:3: check name \"galera\" is reserved for the galera module's verdict; pick another name",
            "\(file):14:40: rise must be between 1 and 100, got 0",
        ]
    ),
    BrokenConfig(
        name: "VIP address families and address reuse",
        yaml: minimalHead + """
            vips:
              - name: a
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/24, "2001:db8::10/64"]
                priorities: { ctl1: 1, ctl2: 2 }
              - name: b
                vrid: 2
                interface: eth0
                addresses: [198.18.0.10/24, 198.18.0.12/24, 198.18.0.20/24, 198.18.0.20/24]
                priorities: { ctl1: 1, ctl2: 2 }
                unicast: true
              - name: c
                vrid: 3
                interface: eth0
                addresses: ["2001:db8::30/64"]
                priorities: { ctl1: 1, ctl2: 2 }
                unicast: true
            """,
        expected: [
            "\(file):11:33: addresses mix IPv4 and IPv6; use one VIP per address family",
            "\(file):16:17: address 198.18.0.10 is already used by VIP \"a\"",
            "\(file):16:33: address 198.18.0.12 is controller ctl2's own address",
            "\(file):16:65: address 198.18.0.20 is listed twice",
            "\(file):24:14: unicast needs controller addresses of the VIP's family (IPv6); controller ctl1 has 198.18.0.11",
        ]
    ),
    BrokenConfig(
        name: "names, interface and notify",
        yaml: """
            cluster:
              name: lab
              secret_file: cluster.key
            controllers:
              "ctl 1": { address: 198.18.0.11 }
            vips:
              - name: -public
                vrid: 1
                interface: averyveryverylongname0
                addresses: [198.18.0.10/24]
                priorities: { "ctl 1": 1 }
                notify: notify.sh
            """,
        expected: [
            "\(file):5:3: bad controller name \"ctl 1\": use letters, digits, \".\", \"-\" and \"_\", starting with a letter or digit (at most 63)",
            "\(file):7:11: bad VIP name \"-public\": use letters, digits, \".\", \"-\" and \"_\", starting with a letter or digit (at most 63)",
            "\(file):9:16: bad interface name \"averyveryverylongname0\": at most 15 characters, without \"/\", \":\" or spaces",
            "\(file):12:13: notify must start with an absolute path to a command, got \"notify.sh\"",
        ]
    ),
    BrokenConfig(
        name: "merge keys are refused",
        yaml: minimalHead + """
            vips:
              - <<: { vrid: 1 }
            """,
        expected: [
            "\(file):8:5: YAML merge keys (<<) are not supported; write the keys out",
            "\(file):8:5: missing required key \"name\" in vips[0]",
            "\(file):8:5: missing required key \"vrid\" in vips[0]",
            "\(file):8:5: missing required key \"interface\" in vips[0]",
            "\(file):8:5: missing required key \"addresses\" in vips[0]",
            "\(file):8:5: missing required key \"priorities\" in vips[0]",
        ]
    ),
    BrokenConfig(
        name: "sections of the wrong shape",
        yaml: minimalHead + """
            vips: { name: a }
            checks: [a]
            galera:
            rabbitmq: yes
            """,
        expected: [
            "\(file):7:7: expected a list for vips, got a mapping",
            "\(file):8:9: expected a mapping for checks, got a list",
            "\(file):9:1: expected a mapping for galera, got an empty value",
            "\(file):10:11: expected a mapping for rabbitmq, got \"yes\"",
        ]
    ),
    BrokenConfig(
        name: "booleans, garp and notify timeout",
        yaml: minimalHead + """
            vips:
              - name: a
                vrid: 1
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 1, ctl2: 2 }
                preempt: yes
                unicast: "true"
                garp: { count: 0, delay: fast, lag: 1s }
                notify_timeout: 0s
            """,
        expected: [
            "\(file):13:14: expected true or false for preempt, got \"yes\"",
            "\(file):14:14: expected true or false for unicast, got \"true\"",
            "\(file):15:20: count must be between 1 and 100, got 0",
            "\(file):15:30: bad duration \"fast\": expected a number with a unit (ms, s, m, h)",
            "\(file):15:36: unknown key \"lag\" in vips[0].garp",
            "\(file):16:21: notify_timeout must be greater than 0",
        ]
    ),
    BrokenConfig(
        name: "galera and rabbitmq values",
        yaml: minimalHead + """
            galera:
              user: ""
              password_file: galera.pass
              socket: mysqld.sock
              available_when_donor: 1
            rabbitmq:
              amqp: { user: u, password_file: rabbit.pass, port: 5672.5 }
              node_name: rabbit
              timeout: -1s
            """,
        expected: [
            "\(file):8:9: user must not be empty",
            "\(file):10:11: socket must be an absolute path, got \"mysqld.sock\"",
            "\(file):11:25: expected true or false for available_when_donor, got \"1\"",
            "\(file):13:54: expected an integer for port, got \"5672.5\"",
            "\(file):14:14: node_name must look like NAME@HOST (e.g. rabbit@ctl1), got \"rabbit\"",
            "\(file):15:12: bad duration \"-1s\": expected a number with a unit (ms, s, m, h)",
        ]
    ),
]

@Suite struct ConfigValidationTests {
    @Test(arguments: brokenConfigs)
    func brokenConfigReportsExactlyItsProblems(_ broken: BrokenConfig) throws {
        let dir = try SecretsDirectory()
        for extra in broken.files {
            try dir.write(extra.name, contents: "secret\n", mode: mode_t(extra.mode))
        }
        #expect(dir.problems(broken.yaml) == broken.expected)
    }

    @Test func thereAreAtLeast24BrokenConfigs() {
        #expect(brokenConfigs.count >= 24)
        #expect(Set(brokenConfigs.map(\.name)).count == brokenConfigs.count)
    }

    @Test func everyProblemInOneFileIsReportedAtOnceSorted() throws {
        let dir = try SecretsDirectory()
        // Problems are spread over sections that are read in a different order than they appear.
        let yaml = """
            vips:
              - name: public
                vrid: 300
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 100, ctl2: 50 }
                track: { galera: -60 }
            controllers:
              ctl1: { address: 198.18.0.11 }
              ctl2: { address: 198.18.0.311 }
            cluster:
              name: lab
              secret_file: nope.key
              api_port: abc
            galera: { user: hactl, password_file: galera.pass, interval: 1 }
            """
        let errors: ConfigErrors
        do {
            _ = try dir.parse(yaml)
            Issue.record("a broken config parsed")
            return
        } catch {
            errors = error
        }
        let expected = [
            "$DIR/cluster.yaml:3:11: vrid must be between 1 and 255, got 300",
            "$DIR/cluster.yaml:10:20: bad address \"198.18.0.311\"",
            "$DIR/cluster.yaml:13:16: secret file $DIR/nope.key: No such file or directory",
            "$DIR/cluster.yaml:14:13: expected an integer for api_port, got \"abc\"",
            "$DIR/cluster.yaml:15:62: bad duration \"1\": expected a number with a unit (ms, s, m, h)",
        ]
        #expect(errors.errors.map { $0.description.replacingOccurrences(of: dir.path, with: "$DIR") } == expected)
        #expect(errors.description.replacingOccurrences(of: dir.path, with: "$DIR") == expected.joined(separator: "\n"))
        #expect(errors.errors.allSatisfy { $0.file == dir.configPath })
    }

    @Test func configErrorsSortByLineThenColumnAndDropRepeats() {
        let a = ConfigError(file: "f", line: 2, column: 9, message: "a")
        let b = ConfigError(file: "f", line: 10, column: 1, message: "b")
        let c = ConfigError(file: "f", line: 2, column: 3, message: "c")
        let errors = ConfigErrors([b, a, c, a])
        #expect(errors.errors == [c, a, b])
        #expect(errors.description == "f:2:3: c\nf:2:9: a\nf:10:1: b")
        #expect(a.description == "f:2:9: a")
    }

    @Test func duplicateKeysAreReportedAtEveryRepeatEvenQuotedOnes() throws {
        let dir = try SecretsDirectory()
        let problems = dir.problems("""
            cluster:
              name: a
              "name": b
              'name': c
              secret_file: cluster.key
            controllers: { ctl1: { address: 198.18.0.11 }, "": {address: 198.18.0.12}, "": {address: 198.18.0.13} }
            """)
        #expect(problems == [
            "$DIR/cluster.yaml:3:3: duplicate key \"name\" in cluster (first at 2:3)",
            "$DIR/cluster.yaml:4:3: duplicate key \"name\" in cluster (first at 2:3)",
            "$DIR/cluster.yaml:6:48: bad controller name \"\": use letters, digits, \".\", \"-\" and \"_\", starting with a letter or digit (at most 63)",
            "$DIR/cluster.yaml:6:76: duplicate key \"\" in controllers (first at 6:48)",
        ])
    }
}
