# shellcheck shell=bash
# Compute lab plug-in for lab.sh: a small OpenStack cloud (real Keystone v3, Placement, Nova 26
# api/conductor/scheduler with keystonemiddleware auth_token, Glance/Neutron stand-ins) in a
# `cloud` namespace, three compute hosts (nova-compute with FakeDriver) on two networks, and one
# ipmi_sim BMC per compute host on a BMC network, fenced with the real fence_ipmilan.
# Sourced by lab.sh, which provides log/did/die, node_ns, recorded_pid, veth_attach, RUN...
#
# Networks (bridges in the switch namespace):
#   br0 management  ctl1-3 .0.11-13 (lab.sh up)  cloud 198.18.0.30  compute1-3 198.18.0.21-23
#   br1 storage     ctl1-3 eth1 198.18.1.11-13                      compute1-3 eth1 198.18.1.21-23
#   br2 BMC         ctl1-3 eth2 198.18.2.11-13   computeN-bmc eth0 198.18.2.21-23 (UDP 623)
# State: $RUN/cloud (MariaDB data, RabbitMQ, service configs and logs), $RUN/computeN,
# $RUN/computeN-bmc, $RUN/secrets (root-owned 0700; every password a 0600 file, never printed).
# Processes are recorded as $RUN/<node>/<service>.lab.pid.

COMPUTE_DIR=$SCRIPT_DIR/compute
OS_PY=/usr/bin/python3    # the python with the OpenStack packages (not the first python3 on PATH)
CLOUD=cloud
CLOUD_ADDR=198.18.0.30
COMPUTES=(compute1 compute2 compute3)
STOR_BRIDGE=br1
BMC_BRIDGE=br2
declare -A COMPUTE_ADDR=([compute1]=198.18.0.21 [compute2]=198.18.0.22 [compute3]=198.18.0.23)
declare -A STOR_ADDR=(
    [ctl1]=198.18.1.11 [ctl2]=198.18.1.12 [ctl3]=198.18.1.13
    [compute1]=198.18.1.21 [compute2]=198.18.1.22 [compute3]=198.18.1.23
)
declare -A BMC_ADDR=(
    [ctl1]=198.18.2.11 [ctl2]=198.18.2.12 [ctl3]=198.18.2.13
    [compute1]=198.18.2.21 [compute2]=198.18.2.22 [compute3]=198.18.2.23
)
BMC_USER=admin
OS_REGION=RegionOne
KEYSTONE_PORT=5000
PLACEMENT_PORT=8778
NOVA_PORT=8774
GLANCE_PORT=9292
NEUTRON_PORT=9696
NOVA_RABBIT_PORT=5672
NOVA_RABBIT_NODE=nova@localhost
COMPUTE_UP_TIMEOUT=${COMPUTE_UP_TIMEOUT:-240}   # seconds: the whole compute-up
COMPUTE_STEP_TIMEOUT=${COMPUTE_STEP_TIMEOUT:-120} # seconds: one db sync, one nova-manage call
COMPUTE_STOP_TIMEOUT=${COMPUTE_STOP_TIMEOUT:-10}  # seconds between SIGTERM and SIGKILL in compute-down
BMC_TIMEOUT=${BMC_TIMEOUT:-40}                    # seconds: one fence_ipmilan call

bmc_node() { printf '%s-bmc\n' "$1"; }
compute_secrets() { printf '%s/secrets\n' "$RUN"; }
cloud_dir() { printf '%s/%s\n' "$RUN" "$CLOUD"; }
cloud_ns() { node_ns "$CLOUD"; }
cloud_exec() { ip netns exec "$(cloud_ns)" "$@"; }
is_compute() {
    local c
    for c in "${COMPUTES[@]}"; do [[ $c == "$1" ]] && return 0; done
    return 1
}
require_compute() {
    [[ -n ${1:-} ]] || die_usage "error: missing HOST (one of: ${COMPUTES[*]})"
    is_compute "$1" || die_usage "error: unknown compute host '$1' (one of: ${COMPUTES[*]})"
}

compute_require() {
    local t
    [[ -x $OS_PY ]] || die_usage "error: $OS_PY not found"
    $OS_PY -c 'import nova, keystone, placement, keystonemiddleware, pymysql' 2>/dev/null ||
        die_usage "error: OpenStack python packages missing: scripts/install-deps.sh compute"
    for t in ipmi_sim fence_ipmilan ipmitool mariadbd mariadb-install-db mariadb jq curl setpriv keystone-manage; do
        require_tool "$t"
    done
    [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || die_usage "error: rabbitmq-server missing: scripts/install-deps.sh compute"
}

elapsed_s() { local d=$(($(now_us) - $1)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

# ---------------------------------------------------------------------------------------------
# secrets and files

# secret_file NAME [BYTES]: $RUN/secrets/NAME, random hex, root-owned 0600, made once.
secret_file() {
    local dir file bytes=${2:-16}
    dir=$(compute_secrets)
    file=$dir/$1
    if [[ ! -d $dir ]]; then (umask 077 && mkdir -p "$dir"); fi
    chmod 0700 "$dir"
    if [[ ! -s $file ]]; then
        (umask 077 && od -An -tx1 -N"$bytes" /dev/urandom | tr -d ' \n' >"$file")
        did "created $file (random, mode 0600)"
    elif [[ $(stat -c %a "$file") != 600 ]]; then
        chmod 0600 "$file"
    fi
    printf '%s\n' "$file"
}
secret() { cat "$(compute_secrets)/$1"; }

# A config file that holds secrets: root-owned 0600 (or OWNER's), rewritten only when changed.
put_secret_file() { write_if_changed "$1" "${2:-0600}" "${3:-root:root}" || true; }

compute_hosts_write() {
    local ns=$1 n dir=/etc/netns/$1
    mkdir -p "$dir"
    {
        printf '# written by examples/three-controller/lab.sh (lab.d/compute.sh) for namespace %s\n' "$ns"
        printf '127.0.0.1\tlocalhost\n'
        for n in "${NODES[@]}"; do printf '%s\t%s\n' "${LAN_ADDR[$n]}" "$n"; done
        printf '%s\t%s\n' "$CLOUD_ADDR" "$CLOUD"
        for n in "${COMPUTES[@]}"; do printf '%s\t%s\n' "${COMPUTE_ADDR[$n]}" "$n"; done
    } | write_if_changed "$dir/hosts" 0644 root:root && did "wrote $dir/hosts"
    return 0
}

# ---------------------------------------------------------------------------------------------
# processes: started detached in a namespace, recorded by PID

# The argument that marks a service's process as ours (recorded_pid's fallback check).
svc_mark() {
    local node=$1 name=$2 cd
    cd=$(cloud_dir)
    case $name in
        mariadb) printf -- '--datadir=%s/mysql/data\n' "$cd" ;;
        rabbitmq) printf '%s/rabbitmq\n' "$cd" ;;
        keystone) printf '%s/keystone\n' "$cd" ;;
        placement) printf '%s/placement\n' "$cd" ;;
        stubs) printf '%s/stubs\n' "$cd" ;;
        nova-api | nova-conductor | nova-scheduler) printf '%s/nova/nova.conf\n' "$cd" ;;
        nova-compute) printf '%s/%s/nova-compute.conf\n' "$RUN" "$node" ;;
        ipmi_sim) printf '%s/%s/lan.conf\n' "$RUN" "$node" ;;
    esac
}
svc_pidfile() { printf '%s/%s/%s.lab.pid\n' "$RUN" "$1" "$2"; }
svc_pid() { recorded_pid "$1" "$(svc_pidfile "$1" "$2")" "$(svc_mark "$1" "$2")"; }

# svc_start NODE NAME CMD...: CMD in NODE's namespace, setsid + nohup, log $RUN/NODE/log/NAME.log.
# The subshell execs ip netns exec -> setsid -> nohup -> CMD, so $! is CMD's PID.
svc_start() {
    local node=$1 name=$2 dir=$RUN/$1 pid
    shift 2
    if pid=$(svc_pid "$node" "$name"); then
        log "$name on $node already running (pid $pid)"
        return 0
    fi
    mkdir -p "$dir/log"
    printf '=== %s lab.sh: starting %s\n' "$(date -Is)" "$name" >>"$dir/log/$name.log"
    (cd "$dir" && exec ip netns exec "$(node_ns "$node")" setsid nohup "$@" </dev/null >>"$dir/log/$name.log" 2>&1) &
    pid=$!
    printf '%s\n' "$pid" >"$(svc_pidfile "$node" "$name")"
    did "started $name on $node (pid $pid)"
}

svc_fail() {
    local node=$1 name=$2 f
    shift 2
    printf 'lab: error: %s\n' "$*" >&2
    for f in "$RUN/$node/log/$name.log" "$(cloud_dir)/mysql/error.log"; do
        [[ $name != mariadb && $f == */mysql/error.log ]] && continue
        [[ -s $f ]] || continue
        printf -- '--- %s (last 25 lines) ---\n' "$f" >&2
        tail -n 25 "$f" >&2
    done
    exit 1
}

# wait_tcp NODE NAME ADDR PORT DEADLINE: until ADDR:PORT accepts a connection from inside NODE.
wait_tcp() {
    local node=$1 name=$2 addr=$3 port=$4 deadline=$5
    until ip netns exec "$(node_ns "$node")" timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$addr" "$port" 2>/dev/null; do
        svc_pid "$node" "$name" >/dev/null || svc_fail "$node" "$name" "$name on $node exited during start"
        past "$deadline" && svc_fail "$node" "$name" "$name on $node: $addr:$port not listening in time"
        sleep 0.2
    done
}

# compute_terminate LABEL PIDS...: like pids_terminate, with COMPUTE_STOP_TIMEOUT.
compute_terminate() { NS_KILL_TIMEOUT=$COMPUTE_STOP_TIMEOUT pids_terminate "$@"; }

# ---------------------------------------------------------------------------------------------
# network

compute_network_up() {
    local n ns
    batch_begin
    bridge_create "$SWITCH_NS" "$STOR_BRIDGE"
    bridge_create "$SWITCH_NS" "$BMC_BRIDGE"
    batch_end "$SWITCH_NS"
    for n in "${CONTROLLERS[@]}"; do
        ns=$(node_ns "$n")
        ns_exists "$ns" || die "namespace $ns does not exist: run '$0 up' first"
        batch_begin
        veth_attach "$ns" eth1 "${STOR_ADDR[$n]}/24" "$STOR_BRIDGE" "s-$n"
        veth_attach "$ns" eth2 "${BMC_ADDR[$n]}/24" "$BMC_BRIDGE" "b-$n"
        batch_end "$ns"
    done
    ns=$(cloud_ns)
    batch_begin
    ns_create "$ns"
    veth_attach "$ns" eth0 "$CLOUD_ADDR/$LAN_PREFIX" "$LAN_BRIDGE" "p-$CLOUD"
    compute_hosts_write "$ns"
    batch_end "$ns"
    for n in "${COMPUTES[@]}"; do
        ns=$(node_ns "$n")
        batch_begin
        ns_create "$ns"
        veth_attach "$ns" eth0 "${COMPUTE_ADDR[$n]}/$LAN_PREFIX" "$LAN_BRIDGE" "p-$n"
        veth_attach "$ns" eth1 "${STOR_ADDR[$n]}/24" "$STOR_BRIDGE" "s-$n"
        compute_hosts_write "$ns"
        batch_end "$ns"
        ns=$(node_ns "$(bmc_node "$n")")
        batch_begin
        ns_create "$ns"
        veth_attach "$ns" eth0 "${BMC_ADDR[$n]}/24" "$BMC_BRIDGE" "p-$(bmc_node "$n")"
        compute_hosts_write "$ns"
        batch_end "$ns"
    done
}

# ---------------------------------------------------------------------------------------------
# MariaDB (plain mariadbd, no galera) and RabbitMQ in the cloud namespace

mariadb_start() {
    local d
    d=$(cloud_dir)/mysql
    mkdir -p "$d/data"
    chown mysql:mysql "$d" "$d/data"
    if [[ ! -d $d/data/mysql ]]; then
        timeout "$COMPUTE_STEP_TIMEOUT" mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql \
            --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
            { tail -n 20 "$d/install.log" >&2; die "mariadb-install-db failed"; }
        did "initialised $d/data"
    fi
    svc_start "$CLOUD" mariadb /usr/sbin/mariadbd --no-defaults "$(svc_mark "$CLOUD" mariadb)" \
        --socket="$d/mysql.sock" --pid-file="$d/mariadb.pid" --port=3306 --bind-address=127.0.0.1 \
        --user=mysql --skip-log-bin --skip-name-resolve --log-error="$d/error.log" \
        --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --max-connections=500 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
}

mariadb_sql() { cloud_exec mariadb --no-defaults --socket="$(cloud_dir)/mysql/mysql.sock" -uroot "$@"; }

mariadb_setup() {
    local deadline=$1 pw db
    until mariadb_sql -e 'SELECT 1' >/dev/null 2>&1; do
        svc_pid "$CLOUD" mariadb >/dev/null || svc_fail "$CLOUD" mariadb "mariadbd exited during start"
        past "$deadline" && svc_fail "$CLOUD" mariadb "mariadbd not answering in time"
        sleep 0.2
    done
    pw=$(secret db.pass)
    {
        for db in keystone placement nova_api nova nova_cell0; do
            printf 'CREATE DATABASE IF NOT EXISTS %s;\n' "$db"
        done
        printf "CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY '%s';\n" "$pw"
        printf "ALTER USER 'os'@'127.0.0.1' IDENTIFIED BY '%s';\n" "$pw"
        for db in keystone placement nova_api nova nova_cell0; do
            printf "GRANT ALL PRIVILEGES ON %s.* TO 'os'@'127.0.0.1';\n" "$db"
        done
    } | mariadb_sql || die "creating the cloud databases failed"
}

db_url() { printf 'mysql+pymysql://os:%s@127.0.0.1/%s?charset=utf8\n' "$(secret db.pass)" "$1"; }

rabbit_nova_start() {
    local d envs
    d=$(cloud_dir)/rabbitmq
    mkdir -p "$d/etc" "$d/home" "$d/mnesia" "$d/log"
    chown -R rabbitmq:rabbitmq "$d"
    chmod 0700 "$d/home"
    put_secret_file "$d/etc/rabbitmq.conf" 0600 rabbitmq:rabbitmq <<EOF
# written by lab.sh (lab.d/compute.sh): Nova's message bus
listeners.tcp.1 = $CLOUD_ADDR:$NOVA_RABBIT_PORT
loopback_users = none
default_user = nova
default_pass = $(secret rabbit-nova.pass)
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = warning
EOF
    printf '[].\n' | write_if_changed "$d/etc/enabled_plugins" 0644 rabbitmq: || true
    printf '# empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of the lab\n' |
        write_if_changed "$d/etc/rabbitmq-env.conf" 0644 rabbitmq: || true
    write_if_changed "$d/home/.erlang.cookie" 0400 rabbitmq: <"$(compute_secrets)/rabbit-nova.cookie" || true
    envs=(
        PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$d/home"
        RABBITMQ_NODENAME="$NOVA_RABBIT_NODE" ERL_EPMD_ADDRESS=127.0.0.1
        RABBITMQ_CONF_ENV_FILE="$d/etc/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$d/etc/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$d/etc/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$d/etc/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbitmq.pid"
        RUNNING_UNDER_SYSTEMD=true RABBITMQ_SCHEDULER_BIND_TYPE=u
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 -hactl_lab_dir $d"
    )
    svc_start "$CLOUD" rabbitmq setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        env -i "${envs[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

# ---------------------------------------------------------------------------------------------
# OpenStack configuration

keystone_authtoken_section() {
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
auth_url = http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $(secret "$1-os.pass")
region_name = $OS_REGION
EOF
}

# Keystone-authenticated client sections ([placement], [neutron]...) as user nova.
client_section() {
    cat <<EOF
[$1]
auth_type = password
auth_url = http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
project_name = service
project_domain_name = Default
user_domain_name = Default
username = nova
password = $(secret nova-os.pass)
region_name = $OS_REGION
EOF
    [[ -z ${2:-} ]] || printf 'endpoint_override = %s\n' "$2"
}

# Settings shared by every nova service (cloud and compute hosts).
nova_common() {
    cat <<EOF
transport_url = rabbit://nova:$(secret rabbit-nova.pass)@$CLOUD_ADDR:$NOVA_RABBIT_PORT/
periodic_fuzzy_delay = 0
report_interval = 5
service_down_time = 15
use_stderr = true
EOF
}

compute_configs_write() {
    local cd n
    cd=$(cloud_dir)
    mkdir -p "$cd/keystone/fernet-keys" "$cd/keystone/credential-keys" "$cd/placement" "$cd/nova/state" "$cd/nova/lock" "$cd/stubs"
    chmod 0700 "$cd/keystone" "$cd/placement" "$cd/nova"
    put_secret_file "$cd/keystone/keystone.conf" <<EOF
# written by lab.sh (lab.d/compute.sh)
[DEFAULT]
use_stderr = true
[database]
connection = $(db_url keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $cd/keystone/fernet-keys
[fernet_receipts]
key_repository = $cd/keystone/fernet-keys
[credential]
key_repository = $cd/keystone/credential-keys
[identity]
password_hash_rounds = 4
[cache]
enabled = false
EOF
    put_secret_file "$cd/placement/placement.conf" <<EOF
# written by lab.sh (lab.d/compute.sh)
[DEFAULT]
use_stderr = true
[placement_database]
connection = $(db_url placement)
[api]
auth_strategy = keystone
$(keystone_authtoken_section placement)
EOF
    put_secret_file "$cd/nova/nova.conf" <<EOF
# written by lab.sh (lab.d/compute.sh): nova-api, nova-conductor, nova-scheduler
[DEFAULT]
host = $CLOUD
my_ip = $CLOUD_ADDR
state_path = $cd/nova/state
enabled_apis = osapi_compute
osapi_compute_listen = $CLOUD_ADDR
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
$(nova_common)
[wsgi]
api_paste_config = $COMPUTE_DIR/nova-api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $(db_url nova_api)
[database]
connection = $(db_url nova)
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1
[oslo_concurrency]
lock_path = $cd/nova/lock
$(keystone_authtoken_section nova)
$(client_section placement)
$(client_section glance "http://$CLOUD_ADDR:$GLANCE_PORT")
$(client_section neutron "http://$CLOUD_ADDR:$NEUTRON_PORT")
EOF
    for n in "${COMPUTES[@]}"; do
        mkdir -p "$RUN/$n/state" "$RUN/$n/lock"
        chmod 0700 "$RUN/$n"
        # No [database]/[api_database]: nova-compute must go through the conductor.
        put_secret_file "$RUN/$n/nova-compute.conf" <<EOF
# written by lab.sh (lab.d/compute.sh) for $n
[DEFAULT]
host = $n
my_ip = ${COMPUTE_ADDR[$n]}
compute_driver = fake.FakeDriver
state_path = $RUN/$n/state
$(nova_common)
[oslo_concurrency]
lock_path = $RUN/$n/lock
$(client_section placement)
$(client_section glance "http://$CLOUD_ADDR:$GLANCE_PORT")
$(client_section neutron "http://$CLOUD_ADDR:$NEUTRON_PORT")
EOF
    done
}

# The profiles osapi.py reads (no password inside: password_file), and a clouds.yaml for humans.
compute_profiles_write() {
    local user project file
    for user in admin hactl; do
        project=admin
        [[ $user == hactl ]] && project=service
        file=$(cloud_dir)/os-$user.json
        jq -n --arg url "http://$CLOUD_ADDR:$KEYSTONE_PORT/v3" --arg u "$user" --arg p "$project" \
            --arg r "$OS_REGION" --arg pf "$(compute_secrets)/$user-os.pass" \
            '{auth_url: $url, username: $u, project: $p, user_domain: "Default",
              project_domain: "Default", region: $r, password_file: $pf}' |
            write_if_changed "$file" 0644 root:root || true
    done
    write_if_changed "$(cloud_dir)/clouds.yaml" 0644 root:root <<EOF || true
# written by lab.sh (lab.d/compute.sh). Passwords are not here: they are in
# $(compute_secrets)/{admin,hactl}-os.pass (root-only). Reach the cloud only from inside a lab
# namespace, e.g. lab.sh exec client openstack --os-cloud lab-admin ... (with OS_CLIENT_CONFIG_FILE
# pointing here and the password given interactively or via OS_PASSWORD), or use
# lab.sh openstack COMMAND (examples/three-controller/compute/osapi.py as admin).
clouds:
  lab-admin:
    region_name: $OS_REGION
    identity_api_version: 3
    auth:
      auth_url: http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
      username: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
  lab-hactl:
    region_name: $OS_REGION
    identity_api_version: 3
    auth:
      auth_url: http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
      username: hactl
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
EOF
    jq -n --arg r "$OS_REGION" --arg s "$(compute_secrets)" --arg c "$CLOUD_ADDR" '{
        region: $r, projects: ["service"],
        users: [
            {name: "hactl", project: "service", role: "admin", password_file: ($s + "/hactl-os.pass")},
            {name: "nova", project: "service", role: "admin", password_file: ($s + "/nova-os.pass")},
            {name: "placement", project: "service", role: "admin", password_file: ($s + "/placement-os.pass")}],
        services: [
            {type: "compute", name: "nova", url: ("http://" + $c + ":8774/v2.1")},
            {type: "placement", name: "placement", url: ("http://" + $c + ":8778")},
            {type: "image", name: "glance", url: ("http://" + $c + ":9292")},
            {type: "network", name: "neutron", url: ("http://" + $c + ":9696")}]}' |
        write_if_changed "$(cloud_dir)/identity-spec.json" 0644 root:root || true
}

# osapi NODE PROFILE ARGS...: examples/three-controller/compute/osapi.py inside NODE's namespace.
osapi() {
    local node=$1 profile=$2
    shift 2
    ip netns exec "$(node_ns "$node")" "$OS_PY" "$COMPUTE_DIR/osapi.py" "$(cloud_dir)/os-$profile.json" "$@"
}

# os_manage NAME LOG PYTHON-MODULE ARGS...: one management command in the cloud namespace.
os_manage() {
    local name=$1 logf=$2 module=$3
    shift 3
    printf '=== %s lab.sh: %s %s\n' "$(date -Is)" "$module" "$*" >>"$logf"
    timeout -k 5 "$COMPUTE_STEP_TIMEOUT" ip netns exec "$(cloud_ns)" "$OS_PY" -c \
        "import sys; from $module import main; sys.exit(main())" "$@" >>"$logf" 2>&1 ||
        { printf 'lab: error: %s failed (log %s):\n' "$name" "$logf" >&2; tail -n 20 "$logf" >&2; return 1; }
}

# A Fernet key repository as keystone-manage fernet_setup/credential_setup leave it: key 0 (staged)
# and key 1 (primary), each 32 random bytes in urlsafe base64, root-only. Written here because
# every keystone-manage run costs seconds of CPU on a 2-core machine.
fernet_repo() {
    local dir=$1 k
    mkdir -p "$dir"
    chmod 0700 "$dir"
    [[ -z $(ls -A "$dir") ]] || return 0
    for k in 0 1; do
        (umask 077 && head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$dir/$k")
    done
}

keystone_db() {
    local cd
    cd=$(cloud_dir)
    fernet_repo "$cd/keystone/fernet-keys"
    fernet_repo "$cd/keystone/credential-keys"
    os_manage keystone-db-sync "$cd/log/keystone-manage.log" keystone.cmd.manage --config-file "$cd/keystone/keystone.conf" db_sync
}

placement_db() {
    local cd
    cd=$(cloud_dir)
    OS_PLACEMENT_CONFIG_DIR=$cd/placement os_manage placement-db-sync "$cd/log/placement-manage.log" placement.cmd.manage \
        --config-file "$cd/placement/placement.conf" db sync
}

nova_db() {
    local cd conf l
    cd=$(cloud_dir)
    conf=$cd/nova/nova.conf
    l=$cd/log/nova-manage.log
    os_manage api_db-sync "$l" nova.cmd.manage --config-file "$conf" api_db sync || return 1
    # What `nova-manage cell_v2 map_cell0` and `create_cell --name cell1` store (cell0 with transport
    # none:///, cell1 with the bus and the main DB), as SQL on stdin: two nova-manage runs fewer.
    {
        printf "INSERT INTO nova_api.cell_mappings (created_at, uuid, name, transport_url, database_connection, disabled)\n"
        printf "SELECT NOW(), '00000000-0000-0000-0000-000000000000', 'cell0', 'none:///', '%s', 0 FROM DUAL\n" "$(db_url nova_cell0)"
        printf "WHERE NOT EXISTS (SELECT 1 FROM nova_api.cell_mappings WHERE name = 'cell0');\n"
        printf "INSERT INTO nova_api.cell_mappings (created_at, uuid, name, transport_url, database_connection, disabled)\n"
        printf "SELECT NOW(), '%s', 'cell1', 'rabbit://nova:%s@%s:%s/', '%s', 0 FROM DUAL\n" "$(cat /proc/sys/kernel/random/uuid)" \
            "$(secret rabbit-nova.pass)" "$CLOUD_ADDR" "$NOVA_RABBIT_PORT" "$(db_url nova)"
        printf "WHERE NOT EXISTS (SELECT 1 FROM nova_api.cell_mappings WHERE name = 'cell1');\n"
    } | mariadb_sql || return 1
    os_manage db-sync "$l" nova.cmd.manage --config-file "$conf" db sync
}

# Keystone's admin: bootstrap only when there is no admin user yet (a password reset would revoke
# the tokens the services hold). The password reaches keystone-manage in its environment.
keystone_bootstrap() {
    local cd url
    cd=$(cloud_dir)
    [[ $(mariadb_sql -N -e "SELECT COUNT(*) FROM keystone.local_user WHERE name = 'admin'") == 0 ]] || return 0
    url=http://$CLOUD_ADDR:$KEYSTONE_PORT/v3
    OS_BOOTSTRAP_PASSWORD=$(secret admin-os.pass) os_manage bootstrap "$cd/log/keystone-manage.log" keystone.cmd.manage \
        --config-file "$cd/keystone/keystone.conf" bootstrap --bootstrap-username admin \
        --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
        --bootstrap-region-id "$OS_REGION" --bootstrap-public-url "$url" --bootstrap-internal-url "$url" || return 1
    log "keystone bootstrap (admin, roles, identity endpoints)"
}

# Keystone from schema to service users and catalog (a background job of compute-up).
keystone_up() {
    local deadline=$1 t0 line
    t0=$(now_us)
    keystone_db || return 1
    # The server imports (seconds) while bootstrap writes the admin user into the database.
    svc_start "$CLOUD" keystone "$OS_PY" "$COMPUTE_DIR/wsgi_serve.py" keystone "$CLOUD_ADDR" "$KEYSTONE_PORT" "$(svc_mark "$CLOUD" keystone)"
    keystone_bootstrap || return 1
    wait_tcp "$CLOUD" keystone "$CLOUD_ADDR" "$KEYSTONE_PORT" "$deadline"
    osapi client admin setup-identity "$(cloud_dir)/identity-spec.json" >"$(cloud_dir)/log/identity-setup.log" || return 1
    while read -r line; do log "keystone: $line"; done <"$(cloud_dir)/log/identity-setup.log"
    log "keystone ready ($(elapsed_s "$t0")s)"
}

placement_up() {
    placement_db || return 1
    svc_start "$CLOUD" placement "$OS_PY" "$COMPUTE_DIR/wsgi_serve.py" placement "$CLOUD_ADDR" "$PLACEMENT_PORT" "$(svc_mark "$CLOUD" placement)"
}

# ---------------------------------------------------------------------------------------------
# compute hosts and BMCs

nova_compute_start() {
    local n=$1
    svc_start "$n" nova-compute "$OS_PY" -c 'import sys; from nova.cmd.compute import main; sys.exit(main())' \
        --config-file "$RUN/$n/nova-compute.conf"
}

bmc_files_write() {
    local n=$1 b d
    b=$(bmc_node "$n")
    d=$RUN/$b
    mkdir -p "$d/state"
    chmod 0700 "$d" "$d/state"
    # users persist in the state dir and would override lan.conf: keep them from lan.conf.
    rm -f "$d/state"/*/users.mc* 2>/dev/null || true
    write_if_changed "$d/chassis_control" 0700 root:root <<EOF || true
#!/bin/sh
# ipmi_sim's chassis_control hook for $n (written by lab.sh, lab.d/compute.sh)
exec env LAB_PREFIX='$LAB_PREFIX' RUN='$RUN' $OS_PY '$COMPUTE_DIR/chassis_control.py' '$SCRIPT_DIR/lab.sh' '$n' "\$@"
EOF
    write_if_changed "$d/bmc.emu" 0644 root:root <<EOF || true
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
EOF
    put_secret_file "$d/lan.conf" <<EOF
# written by lab.sh (lab.d/compute.sh): the BMC of $n. Holds the BMC password: keep 0600.
name "$b"
set_working_mc 0x20
  startlan 1
    addr ${BMC_ADDR[$n]} 623
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa1234567890000$(printf '%02x' "${n#compute}")
  endlan
  chassis_control "$d/chassis_control 0x20"
  user 1 true  ""  ""  user  10  none md2 md5 straight
  user 2 true  "$BMC_USER"  "$(secret bmc.pass)"  admin  10  none md2 md5 straight
EOF
}

bmc_start() {
    local n=$1 b
    b=$(bmc_node "$n")
    bmc_files_write "$n"
    svc_start "$b" ipmi_sim ipmi_sim -n -c "$RUN/$b/lan.conf" -f "$RUN/$b/bmc.emu" -s "$RUN/$b/state"
}

# fence NODE HOST ACTION: the real fence_ipmilan in NODE's namespace, options on stdin.
fence() {
    local node=$1 host=$2 action=$3
    printf 'action=%s\nip=%s\nusername=%s\npassword=%s\nlanplus=1\ncipher=3\npower_wait=1\n' \
        "$action" "${BMC_ADDR[$host]}" "$BMC_USER" "$(secret bmc.pass)" |
        PYTHONWARNINGS=ignore timeout -k 2 "$BMC_TIMEOUT" ip netns exec "$(node_ns "$node")" fence_ipmilan
}

# ---------------------------------------------------------------------------------------------
# commands

plugin_cmd_compute_up() {
    local start_us deadline cd n pids=() p rc t0
    compute_require
    start_us=$(now_us)
    deadline=$(deadline_in "$COMPUTE_UP_TIMEOUT")
    cd=$(cloud_dir)
    compute_network_up
    batch_begin
    for p in db.pass rabbit-nova.pass admin-os.pass hactl-os.pass nova-os.pass placement-os.pass bmc.pass; do
        secret_file "$p" 8 >/dev/null
    done
    secret_file rabbit-nova.cookie 16 >/dev/null
    batch_end secrets
    mkdir -p "$cd/log"
    chmod 0755 "$cd"
    batch_begin
    compute_configs_write
    compute_profiles_write
    mariadb_start
    rabbit_nova_start
    svc_start "$CLOUD" stubs "$OS_PY" "$COMPUTE_DIR/stubs.py" "$CLOUD_ADDR" "$GLANCE_PORT" "$NEUTRON_PORT" "$(svc_mark "$CLOUD" stubs)"
    for n in "${COMPUTES[@]}"; do
        [[ -s $RUN/$n/power ]] || printf 'on\n' >"$RUN/$n/power"
        bmc_start "$n"
    done
    batch_end "$CLOUD"
    t0=$(now_us)
    mariadb_setup "$deadline"
    log "mariadb ready ($(elapsed_s "$t0")s)"
    # Keystone, Placement and Nova touch different databases: set them up side by side. Nova's
    # services start once Keystone has their users (the scheduler exits when Placement refuses it).
    t0=$(now_us)
    keystone_up "$deadline" & pids+=($!)
    placement_up & pids+=($!)
    nova_db & pids+=($!)
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    ((rc == 0)) || die "database or keystone set-up failed"
    log "databases synced, keystone set up ($(elapsed_s "$t0")s)"
    for p in api conductor scheduler; do
        svc_start "$CLOUD" "nova-$p" "$OS_PY" -c "import sys; from nova.cmd.$p import main; sys.exit(main())" \
            --config-file "$cd/nova/nova.conf"
    done
    wait_tcp "$CLOUD" rabbitmq "$CLOUD_ADDR" "$NOVA_RABBIT_PORT" "$deadline"
    for n in "${COMPUTES[@]}"; do
        if [[ $(<"$RUN/$n/power") == on ]]; then nova_compute_start "$n"; fi
    done
    wait_tcp "$CLOUD" placement "$CLOUD_ADDR" "$PLACEMENT_PORT" "$deadline"
    wait_tcp "$CLOUD" nova-api "$CLOUD_ADDR" "$NOVA_PORT" "$deadline"
    wait_tcp "$CLOUD" stubs "$CLOUD_ADDR" "$GLANCE_PORT" "$deadline"
    osapi client admin ensure-flavor m1.lab 1 64 1 | while read -r p; do did "nova: $p"; done
    t0=$(now_us)
    osapi client admin wait-computes "${#COMPUTES[@]}" "$(((deadline - $(now_us)) / 1000000))" ||
        die "nova-compute services not up in time (logs: $RUN/computeN/log/nova-compute.log)"
    os_manage discover_hosts "$cd/log/nova-manage.log" nova.cmd.manage --config-file "$cd/nova/nova.conf" cell_v2 discover_hosts ||
        die "discover_hosts failed"
    osapi client admin wait-hypervisors "${#COMPUTES[@]}" 60 || die "hypervisors not listed in time"
    log "computes registered ($(elapsed_s "$t0")s)"
    log "compute-up: done ($CHANGES change(s), $(elapsed_s "$start_us")s); admin: lab.sh openstack token"
}

# compute-power HOST on|off: the power semantics behind each BMC (called by its chassis_control hook).
plugin_cmd_compute_power() {
    require_compute "${1:-}"
    local n=$1 action=${2:-} ns pids deadline
    ns=$(node_ns "$n")
    ns_exists "$ns" || die "namespace $ns does not exist"
    case $action in
        off)
            ip -n "$ns" link set dev eth0 down
            ip -n "$ns" link set dev eth1 down
            mapfile -t pids < <(ns_pids "$ns")
            ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
            deadline=$(deadline_in 5)
            while [[ -n $(ns_pids "$ns") ]] && ! past "$deadline"; do sleep 0.05; done
            [[ -z $(ns_pids "$ns") ]] || die "$n: processes survive SIGKILL"
            printf 'off\n' >"$RUN/$n/power"
            log "$n powered off (ports down, ${#pids[@]} process(es) killed)"
            ;;
        on)
            ip -n "$ns" link set dev eth0 up
            ip -n "$ns" link set dev eth1 up
            printf 'on\n' >"$RUN/$n/power"
            nova_compute_start "$n"
            log "$n powered on"
            ;;
        *) die_usage "usage: $0 compute-power HOST on|off" ;;
    esac
}

plugin_cmd_bmc() {
    require_compute "${1:-}"
    local n=$1 action=${2:-} rc=0
    case $action in
        on | off | status | reboot) ;;
        *) die_usage "usage: $0 bmc HOST on|off|status|reboot" ;;
    esac
    [[ -s $(compute_secrets)/bmc.pass ]] || die "no BMC password: run '$0 compute-up' first"
    fence "${CONTROLLERS[0]}" "$n" "$action" || rc=$?
    return "$rc"
}

# lab.sh openstack COMMAND...: osapi.py as admin from the client namespace.
plugin_cmd_openstack() {
    [[ -s $(cloud_dir)/os-admin.json ]] || die "no cloud: run '$0 compute-up' first"
    local profile=admin
    if [[ ${1:-} == --as ]]; then profile=$2; shift 2; fi
    osapi client "$profile" "$@"
}

compute_all_nodes() {
    local n
    printf '%s\n' "$CLOUD"
    for n in "${COMPUTES[@]}"; do printf '%s\n%s\n' "$n" "$(bmc_node "$n")"; done
}

plugin_cmd_compute_down() {
    local node name pids=() p f ns nss=() n
    # Recorded processes first (graceful), then anything left in the namespaces this plug-in made.
    for node in $(compute_all_nodes); do
        for f in "$RUN/$node"/*.lab.pid; do
            [[ -e $f ]] || continue
            name=$(basename "$f" .lab.pid)
            if p=$(svc_pid "$node" "$name"); then pids+=("$p"); fi
        done
    done
    compute_terminate "compute lab (recorded)" ${pids[@]+"${pids[@]}"}
    for node in $(compute_all_nodes); do
        ns=$(node_ns "$node")
        ns_exists "$ns" && nss+=("$ns")
        rm -f "$RUN/$node"/*.lab.pid
    done
    ((${#nss[@]} == 0)) || ns_kill_all "${nss[@]}"
    # Ports first (veth peers can outlive `ip netns del` for a moment), then the namespaces.
    if ns_exists "$SWITCH_NS"; then
        for p in "p-$CLOUD" "${COMPUTES[@]/#/p-}" "${COMPUTES[@]/#/s-}" "${CONTROLLERS[@]/#/s-}" "${CONTROLLERS[@]/#/b-}"; do
            if link_exists "$SWITCH_NS" "$p"; then ip -n "$SWITCH_NS" link del dev "$p"; did "deleted port $p"; fi
        done
        for n in "${COMPUTES[@]}"; do
            p=p-$(bmc_node "$n")
            if link_exists "$SWITCH_NS" "$p"; then ip -n "$SWITCH_NS" link del dev "$p"; did "deleted port $p"; fi
        done
        for p in "$STOR_BRIDGE" "$BMC_BRIDGE"; do
            if link_exists "$SWITCH_NS" "$p"; then ip -n "$SWITCH_NS" link del dev "$p"; did "deleted bridge $p"; fi
        done
    fi
    for node in $(compute_all_nodes); do
        batch_begin
        ns_delete "$(node_ns "$node")"
        hosts_delete "$(node_ns "$node")"
        batch_end "$(node_ns "$node")"
    done
    if ((CHANGES == 0)); then log "compute-down: nothing to do"; fi
    return 0
}

plugin_cmd_compute_status() {
    local node name rc=0 pid f n state
    for node in $(compute_all_nodes); do
        if ! ns_exists "$(node_ns "$node")"; then
            printf '%-13s namespace %s missing\n' "$node" "$(node_ns "$node")"
            rc=1
            continue
        fi
        for f in "$RUN/$node"/*.lab.pid; do
            [[ -e $f ]] || continue
            name=$(basename "$f" .lab.pid)
            if pid=$(svc_pid "$node" "$name"); then
                printf '%-13s %-15s running (pid %s, rss %s MB)\n' "$node" "$name" "$pid" "$(($(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0) / 1024))"
            else
                printf '%-13s %-15s dead\n' "$node" "$name"
                is_compute "$node" && [[ $(cat "$RUN/$node/power" 2>/dev/null) == off ]] || rc=1
            fi
        done
    done
    for n in "${COMPUTES[@]}"; do
        state=$(cat "$RUN/$n/power" 2>/dev/null || echo unknown)
        printf '%-13s power %s (state file)\n' "$n" "$state"
    done
    if [[ -s $(cloud_dir)/os-admin.json ]] && ns_exists "$(node_ns client)"; then
        osapi client admin services || rc=1
    fi
    return "$rc"
}

# RSS of every process in this plug-in's namespaces together (MB).
plugin_cmd_compute_rss() {
    local node p total=0 count=0 kb
    for node in $(compute_all_nodes); do
        for p in $(ns_pids "$(node_ns "$node")"); do
            kb=$(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || true)
            total=$((total + ${kb:-0}))
            count=$((count + 1))
        done
    done
    printf 'compute lab: %d processes, RSS %d MB\n' "$count" $((total / 1024))
}

plugin_usage_compute() {
    cat <<EOF
  compute-up             cloud namespace (MariaDB, RabbitMQ, Keystone, Placement, Nova api/conductor/
                         scheduler, Glance/Neutron stand-ins) at $CLOUD_ADDR, compute1-3 (nova-compute,
                         FakeDriver) on br0+br1, BMCs (ipmi_sim) on br2; controllers get eth1/eth2
  compute-down           stop what compute-up started, delete its ports, bridges and namespaces
  compute-status         processes of the compute lab, power states, nova-compute services
  compute-rss            total RSS of the compute lab's processes
  bmc HOST on|off|status|reboot
                         fence_ipmilan (options on stdin) from ctl1 against HOST's BMC
  compute-power HOST on|off
                         the power action itself (what the BMC's chassis_control hook runs)
  openstack [--as admin|hactl] COMMAND...
                         compute/osapi.py from the client namespace (token, servers, services, boot...)
EOF
}

plugin_status_compute() {
    [[ -d $(cloud_dir) ]] || return 0
    plugin_cmd_compute_status
}

plugin_down_compute() {
    [[ -d $(cloud_dir) ]] || ns_exists "$(cloud_ns)" || return 0
    plugin_cmd_compute_down
}
