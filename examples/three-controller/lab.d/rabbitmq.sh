# shellcheck shell=bash
# RabbitMQ 3.10 plug-in for lab.sh: one broker per controller namespace (rabbit@ctl1..3),
# clustered, with the management plug-in, pause_minority partition handling and a monitoring
# user for hactl. Sourced by lab.sh, which provides log/did/die, node_ns, recorded_pid, RUN...
#
# Per node everything lives in $RUN/<node>/rabbitmq/ (owned by the rabbitmq user, which
# rabbitmq-server runs as): etc/ (rabbitmq.conf, enabled_plugins), home/.erlang.cookie, mnesia/,
# log/, broker.log (stdout/stderr), rabbitmq.pid (the broker's), broker.lab.pid (the PID this
# script started: beam.smp itself, see rabbit_start) and epmd.lab.pid (PID and start time).
# Shared: $RUN/rabbit.cookie (Erlang cookie) and $RUN/rabbit.pass (hactl's password), both
# root-owned 0600 and never printed.

RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}    # the scripts proper, not the su wrappers in /usr/sbin
RABBIT_OS_USER=rabbitmq
RABBIT_USER=hactl                                 # the management/AMQP user hactl uses
RABBIT_AMQP_PORT=5672
RABBIT_MGMT_PORT=15672
# Shorter than Erlang's 60 s so a cut-off node notices (and pauses) within ~10-15 s; long enough
# that three brokers on two cores do not see false partitions.
RABBIT_NET_TICKTIME=${RABBIT_NET_TICKTIME:-10}
RABBIT_UP_TIMEOUT=${RABBIT_UP_TIMEOUT:-120}       # seconds: rabbitmq-up, start to 3 running nodes
RABBIT_APP_TIMEOUT=${RABBIT_APP_TIMEOUT:-60}      # seconds: start_app, join_cluster
RABBIT_STOP_TIMEOUT=${RABBIT_STOP_TIMEOUT:-30}    # seconds: broker exit after SIGTERM
RABBIT_CTL_TIMEOUT=${RABBIT_CTL_TIMEOUT:-10}      # seconds: one status query (a frozen broker hangs it)
RABBIT_CMD_TIMEOUT=${RABBIT_CMD_TIMEOUT:-120}     # seconds: `lab.sh rabbitmqctl N ...`
RABBIT_DOWN_TIMEOUT=${RABBIT_DOWN_TIMEOUT:-15}    # seconds: graceful stop of all brokers in `down`
RABBIT_NFT_TABLE=hactl_lab_partition

rabbit_dir() { printf '%s/%s/rabbitmq\n' "$RUN" "$1"; }
rabbit_name() { printf 'rabbit@%s\n' "$1"; }

# The broker of NODE: beam.smp, whose command line carries its dir as a marker argument.
rabbit_pid() { recorded_pid "$1" "$(rabbit_dir "$1")/broker.lab.pid" "$(rabbit_dir "$1")"; }

# A SIGSTOPped process is alive but answers nothing: callers skip queries to it.
rabbit_frozen() { [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]; }

rabbit_require() {
    [[ -x $RABBIT_BIN/rabbitmq-server ]] || die_usage "error: $RABBIT_BIN/rabbitmq-server not found: install rabbitmq-server"
    id -u "$RABBIT_OS_USER" >/dev/null 2>&1 || die_usage "error: no '$RABBIT_OS_USER' user: install rabbitmq-server"
    require_tool curl
    require_tool jq
    require_tool setpriv
}

# ---------------------------------------------------------------------------------------------
# environment shared by the broker and the CLI tools

# env(1) arguments for NODE. Everything points into NODE's dir, so neither /etc/rabbitmq nor
# /var/lib/rabbitmq (a system broker, or another engineer's) is read or written.
rabbit_env() {
    local node=$1 dir
    dir=$(rabbit_dir "$node")
    printf '%s\n' \
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
        "LANG=C.UTF-8" \
        "HOME=$dir/home" \
        "RABBITMQ_NODENAME=$(rabbit_name "$node")" \
        "RABBITMQ_CONF_ENV_FILE=$dir/etc/rabbitmq-env.conf" \
        "RABBITMQ_CONFIG_FILE=$dir/etc/rabbitmq.conf" \
        "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/etc/advanced.config" \
        "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/etc/enabled_plugins" \
        "RABBITMQ_MNESIA_BASE=$dir/mnesia" \
        "RABBITMQ_LOG_BASE=$dir/log" \
        "RABBITMQ_PID_FILE=$dir/rabbitmq.pid" \
        "RABBITMQ_CTL_ERL_ARGS=-kernel net_ticktime $RABBIT_NET_TICKTIME"
}

# rabbit_ctl_in NODE TIMEOUT TOOL ARGS...: a CLI tool (rabbitmqctl, rabbitmq-diagnostics) against
# NODE from inside NODE's namespace, as root (it reads the cookie in NODE's home), killed after
# TIMEOUT s (exit 124). Output as the tool prints it.
rabbit_ctl_in() {
    local node=$1 t=$2 tool=$3 envs
    shift 3
    mapfile -t envs < <(rabbit_env "$node")
    (cd "$(rabbit_dir "$node")" &&
        exec timeout -k 2 "$t" ip netns exec "$(node_ns "$node")" \
            env -i "${envs[@]}" "$RABBIT_BIN/$tool" -n "$(rabbit_name "$node")" "$@")
}
rabbit_ctl() { rabbit_ctl_in "$1" "$2" rabbitmqctl "${@:3}"; }

# NODE's view of the cluster as JSON ({running_nodes, disk_nodes, partitions, alarms...}).
rabbit_cluster_json() { rabbit_ctl "$1" "${2:-$RABBIT_CTL_TIMEOUT}" -q cluster_status --formatter json 2>/dev/null; }

# Whether the rabbit application runs on NODE (the Erlang VM may run without it: stop_app, pause).
rabbit_app_running() {
    [[ $(rabbit_ctl "$1" "$RABBIT_CTL_TIMEOUT" -q eval 'rabbit:is_running().' 2>/dev/null) == true ]]
}

# ---------------------------------------------------------------------------------------------
# files

# A root-owned 0600 secret of 16 random bytes in hex (no newline), made once.
rabbit_secret() {
    local file=$1
    if [[ ! -s $file ]]; then
        (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$file")
        did "created $file (random, mode 0600)"
    elif [[ $(stat -c %a "$file") != 600 ]]; then
        chmod 0600 "$file"
        did "$file: mode set to 0600"
    fi
}

rabbit_conf() {
    local node=$1
    cat <<EOF
# written by lab.sh (lab.d/rabbitmq.sh) for $(rabbit_name "$node")
listeners.tcp.default = ${LAN_ADDR[$node]}:$RABBIT_AMQP_PORT
management.tcp.ip = ${LAN_ADDR[$node]}
management.tcp.port = $RABBIT_MGMT_PORT
cluster_partition_handling = pause_minority
net_ticktime = $RABBIT_NET_TICKTIME
log.console = false
log.file.level = info
EOF
}

# NODE's dir: config, plug-ins, the shared cookie (Erlang refuses a cookie readable by others).
rabbit_prepare() {
    local node=$1 dir d had_conf=0
    dir=$(rabbit_dir "$node")
    [[ -f $dir/etc/rabbitmq.conf ]] && had_conf=1
    for d in etc home mnesia log; do mkdir -p "$dir/$d"; done
    chown -R "$RABBIT_OS_USER:$RABBIT_OS_USER" "$dir"
    chmod 0700 "$dir/home"
    # A changed config only takes effect at the broker's next start: say so.
    if rabbit_conf "$node" | write_if_changed "$dir/etc/rabbitmq.conf" 0644 "$RABBIT_OS_USER:" && ((had_conf)); then
        did "rewrote $dir/etc/rabbitmq.conf (effective at the next start of $(rabbit_name "$node"))"
    fi
    printf '[rabbitmq_management].\n' | write_if_changed "$dir/etc/enabled_plugins" 0644 "$RABBIT_OS_USER:" || true
    printf '# empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of the lab\n' |
        write_if_changed "$dir/etc/rabbitmq-env.conf" 0644 "$RABBIT_OS_USER:" || true
    write_if_changed "$dir/home/.erlang.cookie" 0400 "$RABBIT_OS_USER:" <"$RUN/rabbit.cookie" || true
    # rabbitmq must reach its dir: every parent must be searchable by others.
    setpriv --reuid="$RABBIT_OS_USER" --regid="$RABBIT_OS_USER" --init-groups test -w "$dir/mnesia" ||
        die "user $RABBIT_OS_USER cannot write $dir/mnesia (a parent of $RUN not searchable?)"
}

# ---------------------------------------------------------------------------------------------
# broker processes

# The last lines of NODE's logs (broker stdout/stderr, then RabbitMQ's own log), to stderr.
rabbit_log_tail() {
    local dir f
    dir=$(rabbit_dir "$1")
    for f in "$dir/broker.log" "$dir/log/$(rabbit_name "$1").log"; do
        [[ -s $f ]] || continue
        printf -- '--- %s (last 20 lines) ---\n' "$f" >&2
        tail -n 20 "$f" >&2
    done
    printf -- '---\n' >&2
}

rabbit_fail() {
    local node=$1
    shift
    printf 'lab: error: %s\n' "$*" >&2
    rabbit_log_tail "$node"
    exit 1
}

# Starts NODE's broker in its namespace without waiting for it to boot.
rabbit_start() {
    local node=$1 dir ns pid envs
    dir=$(rabbit_dir "$node")
    ns=$(node_ns "$node")
    ns_exists "$ns" || die "namespace $ns does not exist: run '$0 up' first"
    rabbit_prepare "$node"
    rm -f "$dir/rabbitmq.pid"
    mapfile -t envs < <(rabbit_env "$node")
    printf '=== %s lab.sh: starting %s\n' "$(date -Is)" "$(rabbit_name "$node")" >>"$dir/broker.log"
    # RUNNING_UNDER_SYSTEMD makes rabbitmq-server exec erl (no signal-relaying shell), and erl,
    # erlexec exec beam.smp: $! is the broker itself, the PID signals must reach. +S 1:1 and
    # unbound schedulers (+stbt u) because three brokers share two cores. The trailing
    # `-hactl_lab_dir DIR` is an argument the VM ignores: it marks the process as ours.
    (
        cd "$dir" &&
            exec ip netns exec "$ns" setsid nohup \
                setpriv --reuid="$RABBIT_OS_USER" --regid="$RABBIT_OS_USER" --init-groups \
                env -i "${envs[@]}" RUNNING_UNDER_SYSTEMD=true \
                RABBITMQ_SCHEDULER_BIND_TYPE=u \
                RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 +SDio 4 -hactl_lab_dir $dir" \
                "$RABBIT_BIN/rabbitmq-server" </dev/null >>"$dir/broker.log" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$dir/broker.lab.pid"
    did "started $(rabbit_name "$node") (pid $pid, log $dir/log)"
}

# Waits until the rabbit application runs on every given node (until DEADLINE, microseconds).
rabbit_wait_running() {
    local deadline=$1 node pending still
    shift
    pending=("$@")
    while ((${#pending[@]} > 0)); do
        still=()
        for node in "${pending[@]}"; do
            rabbit_pid "$node" >/dev/null || rabbit_fail "$node" "$(rabbit_name "$node") exited during start"
            rabbit_app_running "$node" || still+=("$node")
        done
        pending=(${still[@]+"${still[@]}"})
        ((${#pending[@]} == 0)) && break
        past "$deadline" &&
            rabbit_fail "${pending[0]}" "$(rabbit_name "${pending[0]}") not running within the deadline (${pending[*]} pending)"
        sleep 1
    done
}

# Records NODE's epmd (PID and start time): epmd daemonizes, and a namespace deleted under it
# leaves it running where `down` no longer finds it.
rabbit_record_epmd() {
    local node=$1 p file
    file=$(rabbit_dir "$node")/epmd.lab.pid
    for p in $(ns_pids "$(node_ns "$node")"); do
        if [[ $(cat "/proc/$p/comm" 2>/dev/null) == epmd ]]; then
            printf '%s %s\n' "$p" "$(awk '{print $22}' "/proc/$p/stat")" >"$file"
            return 0
        fi
    done
}

# NODE's recorded epmd, if it still is that process (same start time).
rabbit_epmd_pid() {
    local file p t
    file=$(rabbit_dir "$1")/epmd.lab.pid
    [[ -r $file ]] || return 1
    read -r p t <"$file" || return 1
    [[ $p =~ ^[0-9]+$ ]] && pid_alive "$p" || return 1
    [[ $(awk '{print $22}' "/proc/$p/stat" 2>/dev/null) == "$t" && $(cat "/proc/$p/comm" 2>/dev/null) == epmd ]] || return 1
    printf '%s\n' "$p"
}

# rabbit_terminate SIG TIMEOUT PID...: SIG (with CONT: a frozen broker acts on TERM only once
# continued), up to TIMEOUT s for all to exit, then SIGKILL and up to 5 s more. A graceful stop
# of three clustered brokers takes ~6 s (the management plug-in alone waits 5 s).
rabbit_terminate() {
    local sig=$1 timeout=$2 p alive deadline
    shift 2
    (($# > 0)) || return 0
    kill -s "$sig" "$@" 2>/dev/null || true
    kill -CONT "$@" 2>/dev/null || true
    deadline=$(deadline_in "$timeout")
    while :; do
        alive=()
        for p in "$@"; do pid_alive "$p" && alive+=("$p"); done
        ((${#alive[@]} == 0)) && return 0
        if past "$deadline"; then
            [[ $sig == KILL ]] && die "still alive 5s after SIGKILL: ${alive[*]}"
            log "SIGKILL ${#alive[@]} rabbitmq process(es) still alive after ${timeout}s: ${alive[*]}"
            kill -KILL "${alive[@]}" 2>/dev/null || true
            sig=KILL
            deadline=$(deadline_in 5)
        fi
        sleep 0.1
    done
}

# The alive brokers this script started (in their namespace, or orphaned by a deleted one).
rabbit_all_pids() {
    local node
    for node in "${CONTROLLERS[@]}"; do rabbit_pid "$node" || true; done
}

# ---------------------------------------------------------------------------------------------
# cluster

# jq over NODE's cluster_status: prints the names (short: ctl1...) of FIELD (running_nodes, disk_nodes).
rabbit_cluster_field() {
    local json=$1 field=$2
    jq -r --arg f "$field" '.[$f] // [] | map(sub("^rabbit@"; "")) | sort | join(",")' <<<"$json" 2>/dev/null
}

# Joins NODE to rabbit@ctl1 unless ctl1 already counts it as a member.
rabbit_join() {
    local node=$1 first=${CONTROLLERS[0]} json members
    json=$(rabbit_cluster_json "$first" "$RABBIT_APP_TIMEOUT") || rabbit_fail "$first" "cluster_status on $(rabbit_name "$first") failed"
    members=$(rabbit_cluster_field "$json" disk_nodes)
    [[ ,$members, == *",$node,"* ]] && return 0
    rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q stop_app >/dev/null || rabbit_fail "$node" "stop_app on $(rabbit_name "$node") failed"
    rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q join_cluster "$(rabbit_name "$first")" >/dev/null ||
        rabbit_fail "$node" "join_cluster $(rabbit_name "$first") on $(rabbit_name "$node") failed (stale data? try rabbitmq-reset)"
    rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q start_app >/dev/null || rabbit_fail "$node" "start_app on $(rabbit_name "$node") failed"
    did "joined $(rabbit_name "$node") to $(rabbit_name "$first")"
}

# All controllers, as rabbit_cluster_field prints them.
rabbit_want() { printf '%s\n' "${CONTROLLERS[@]}" | sort | paste -sd, -; }

# Waits until NODE sees every controller as a running cluster node.
rabbit_wait_cluster() {
    local node=$1 deadline=$2 want running=""
    want=$(rabbit_want)
    while :; do
        running=$(rabbit_cluster_field "$(rabbit_cluster_json "$node")" running_nodes) || running=""
        [[ $running == "$want" ]] && return 0
        past "$deadline" && rabbit_fail "$node" "$(rabbit_name "$node") sees running nodes '${running}', not '$want', at the deadline (a split or a stuck node: see rabbitmq-status; rabbitmq-signal N KILL then rabbitmq-up restarts one)"
        sleep 1
    done
}

# Hex digits to the bytes they spell.
rabbit_unhex() { local h=$1 i; for ((i = 0; i < ${#h}; i += 2)); do printf '%b' "\x${h:i:2}"; done; }

# The password hash RabbitMQ stores (rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++
# password)), 4-byte salt), so the password travels in a definitions file on stdin, never in argv.
rabbit_password_hash() {
    local pass=$1 salt digest
    salt=$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')
    digest=$({ rabbit_unhex "$salt"; printf '%s' "$pass"; } | sha256sum | cut -c1-64)
    rabbit_unhex "$salt$digest" | base64 -w0
}

# HTTP status of GET PATH on NODE's management API as hactl, from the client namespace (the
# password goes to curl through a config on stdin, not argv). Body to FILE (default: dropped).
rabbit_api_code() {
    local node=$1 path=$2 out=${3:-/dev/null} pass
    pass=$(<"$RUN/rabbit.pass")
    ip netns exec "$(node_ns client)" curl -s -o "$out" -w '%{http_code}' --max-time 3 -K - \
        "http://${LAN_ADDR[$node]}:$RABBIT_MGMT_PORT$path" <<<"user = \"$RABBIT_USER:$pass\"" 2>/dev/null || true
}

# User hactl with tag monitoring and full permissions on /, through an import of definitions.
rabbit_user_ensure() {
    local node=${CONTROLLERS[0]} pass tmp ok=0
    pass=$(<"$RUN/rabbit.pass")
    tmp=$(mktemp)
    # whoami answers 200 only with the right password, and names the tags.
    if [[ $(rabbit_api_code "$node" /api/whoami "$tmp") == 200 ]] &&
        jq -e '.tags | tostring | contains("monitoring")' "$tmp" >/dev/null 2>&1 &&
        rabbit_ctl "$node" "$RABBIT_CTL_TIMEOUT" -q list_user_permissions "$RABBIT_USER" --formatter json 2>/dev/null |
        jq -e 'any(.[]; .vhost == "/" and .configure == ".*" and .write == ".*" and .read == ".*")' >/dev/null 2>&1; then
        ok=1
    fi
    rm -f "$tmp"
    ((ok)) && return 0
    jq -n --arg u "$RABBIT_USER" --arg h "$(rabbit_password_hash "$pass")" '{
        users: [{name: $u, password_hash: $h, hashing_algorithm: "rabbit_password_hashing_sha256",
                 tags: "monitoring", limits: {}}],
        permissions: [{user: $u, vhost: "/", configure: ".*", write: ".*", read: ".*"}]}' |
        rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q import_definitions --format json >/dev/null ||
        rabbit_fail "$node" "importing user $RABBIT_USER failed"
    did "user $RABBIT_USER (tag monitoring, permissions .* on /, password in $RUN/rabbit.pass)"
}

# The management API answers hactl on every node, health checks included.
rabbit_api_verify() {
    local deadline=$1 node path code
    for node in "${CONTROLLERS[@]}"; do
        for path in "/api/nodes/$(rabbit_name "$node")" /api/health/checks/local-alarms \
            /api/health/checks/node-is-quorum-critical /api/health/checks/node-is-mirror-sync-critical; do
            while code=$(rabbit_api_code "$node" "$path") && [[ $code != 200 ]]; do
                past "$deadline" && rabbit_fail "$node" "GET http://${LAN_ADDR[$node]}:$RABBIT_MGMT_PORT$path as $RABBIT_USER: HTTP $code"
                sleep 0.5
            done
        done
    done
}

# ---------------------------------------------------------------------------------------------
# commands

plugin_cmd_rabbitmq_up() {
    local node deadline start_us need=() elapsed
    rabbit_require
    start_us=$(now_us)
    deadline=$(deadline_in "$RABBIT_UP_TIMEOUT")
    for node in "${CONTROLLERS[@]}"; do ns_exists "$(node_ns "$node")" || die "namespace $(node_ns "$node") does not exist: run '$0 up' first"; done
    rabbit_secret "$RUN/rabbit.cookie"
    rabbit_secret "$RUN/rabbit.pass"
    # All brokers that are down start together: clustered nodes wait at boot for the peers
    # they last saw running, so starting them one by one could deadlock until a timeout.
    for node in "${CONTROLLERS[@]}"; do
        if rabbit_pid "$node" >/dev/null; then
            rabbit_prepare "$node"
        else
            rabbit_start "$node"
            need+=("$node")
        fi
    done
    # Already clustered (a re-run): skip the per-node checks, each CLI call costs ~0.6 s.
    if ((${#need[@]} > 0)) || [[ $(rabbit_cluster_field "$(rabbit_cluster_json "${CONTROLLERS[0]}")" running_nodes) != "$(rabbit_want)" ]]; then
        rabbit_wait_running "$deadline" "${CONTROLLERS[@]}"
        for node in "${CONTROLLERS[@]:1}"; do rabbit_join "$node"; done
        rabbit_wait_cluster "${CONTROLLERS[0]}" "$deadline"
    fi
    for node in "${CONTROLLERS[@]}"; do rabbit_record_epmd "$node"; done
    rabbit_user_ensure
    rabbit_api_verify "$deadline"
    elapsed=$(( ($(now_us) - start_us) / 100000 ))
    if ((CHANGES == 0)); then
        log "rabbitmq-up: already up (nothing to do)"
    else
        log "rabbitmq-up: done, 3 nodes running ($CHANGES change(s), $((elapsed / 10)).$((elapsed % 10))s)"
    fi
}

# rabbit_cli_cmd TOOL NODE ARGS...: `lab.sh TOOL NODE ARGS` (rabbitmqctl, rabbitmq-diagnostics),
# exiting with the tool's status.
rabbit_cli_cmd() {
    local tool=$1
    shift
    require_controller "${1:-}"
    local node=$1
    shift
    rabbit_require
    ns_exists "$(node_ns "$node")" || die "namespace $(node_ns "$node") does not exist: run '$0 up' first"
    [[ -d $(rabbit_dir "$node") ]] || die "$(rabbit_dir "$node") does not exist: run '$0 rabbitmq-up' first"
    local rc=0
    rabbit_ctl_in "$node" "$RABBIT_CMD_TIMEOUT" "$tool" "$@" || rc=$?
    exit "$rc"
}

plugin_cmd_rabbitmqctl() { rabbit_cli_cmd rabbitmqctl "$@"; }
plugin_cmd_rabbitmq_diagnostics() { rabbit_cli_cmd rabbitmq-diagnostics "$@"; }

# Dies unless NODE's broker runs and is not frozen (a query to a frozen one only times out).
rabbit_require_thawed() {
    local pid
    pid=$(rabbit_pid "$1") || die "$(rabbit_name "$1") is not running (rabbitmq-up starts it)"
    ! rabbit_frozen "$pid" || die "$(rabbit_name "$1") is frozen (pid $pid): rabbitmq-signal $1 CONT first"
}

plugin_cmd_rabbitmq_stop_app() {
    require_controller "${1:-}"
    local node=$1
    rabbit_require_thawed "$node"
    # Skip only when the node says so: a query that timed out on a loaded machine is not "stopped"
    # (stop_app on a stopped app is harmless; skipping a running one left the test waiting for a 503).
    if [[ $(rabbit_ctl "$node" "$RABBIT_CTL_TIMEOUT" -q eval 'rabbit:is_running().' 2>/dev/null) == false ]]; then
        log "rabbit app on $(rabbit_name "$node") already stopped"
        return 0
    fi
    rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q stop_app >/dev/null || rabbit_fail "$node" "stop_app on $(rabbit_name "$node") failed"
    did "stopped rabbit app on $(rabbit_name "$node")"
}

plugin_cmd_rabbitmq_start_app() {
    require_controller "${1:-}"
    local node=$1 running
    rabbit_require_thawed "$node"
    if rabbit_app_running "$node"; then
        log "rabbit app on $(rabbit_name "$node") already running"
        return 0
    fi
    # start_app returns once the node has booted and synced with the running members.
    rabbit_ctl "$node" "$RABBIT_APP_TIMEOUT" -q start_app >/dev/null || rabbit_fail "$node" "start_app on $(rabbit_name "$node") failed"
    running=$(rabbit_cluster_field "$(rabbit_cluster_json "$node")" running_nodes)
    [[ ,$running, == *",$node,"* ]] || rabbit_fail "$node" "$(rabbit_name "$node") not among running nodes after start_app ($running)"
    did "started rabbit app on $(rabbit_name "$node") (running nodes: $running)"
}

plugin_cmd_rabbitmq_signal() {
    require_controller "${1:-}"
    local node=$1 sig pid deadline timeout=5
    sig=$(signal_name "${2:-}")
    case $sig in
        STOP | CONT | KILL | TERM) ;;
        *) die_usage "usage: $0 rabbitmq-signal NODE STOP|CONT|KILL|TERM" ;;
    esac
    pid=$(rabbit_pid "$node") || die "$(rabbit_name "$node") is not running"
    kill -s "$sig" "$pid"
    did "sent SIG$sig to $(rabbit_name "$node") (pid $pid)"
    case $sig in
        TERM) # a frozen broker can act on it
            timeout=$RABBIT_STOP_TIMEOUT
            kill -CONT "$pid" 2>/dev/null || true
            ;;
        KILL) ;;
        *) return 0 ;;
    esac
    deadline=$(deadline_in "$timeout")
    while pid_alive "$pid"; do
        past "$deadline" && rabbit_fail "$node" "$(rabbit_name "$node") (pid $pid) still running ${timeout}s after SIG$sig"
        sleep 0.1
    done
    rm -f "$(rabbit_dir "$node")/broker.lab.pid"
    log "$(rabbit_name "$node") exited"
}

# The other controllers' addresses, comma-separated (an nft set).
rabbit_peer_addrs() {
    local n out=""
    for n in "${CONTROLLERS[@]}"; do [[ $n == "$1" ]] || out+="${out:+, }${LAN_ADDR[$n]}"; done
    printf '%s\n' "$out"
}

rabbit_nft_table_exists() { ip netns exec "$(node_ns "$1")" nft list table inet "$RABBIT_NFT_TABLE" >/dev/null 2>&1; }

# Drops everything between NODE and the other controllers, both ways, in NODE's own namespace;
# the client (hactl's probes, the tests) and loopback still reach it.
plugin_cmd_rabbitmq_partition() {
    require_controller "${1:-}"
    require_tool nft
    local node=$1 ns peers
    ns=$(node_ns "$node")
    ns_exists "$ns" || die "namespace $ns does not exist"
    if rabbit_nft_table_exists "$node"; then
        log "$node already partitioned"
        return 0
    fi
    peers=$(rabbit_peer_addrs "$node")
    ip netns exec "$ns" nft -f - <<EOF
table inet $RABBIT_NFT_TABLE {
    chain input {
        type filter hook input priority -10; policy accept;
        ip saddr { $peers } drop
    }
    chain output {
        type filter hook output priority -10; policy accept;
        ip daddr { $peers } drop
    }
}
EOF
    did "partitioned $node from { $peers } (nft table inet $RABBIT_NFT_TABLE in $ns)"
}

plugin_cmd_rabbitmq_heal() {
    require_controller "${1:-}"
    require_tool nft
    local node=$1
    ns_exists "$(node_ns "$node")" || die "namespace $(node_ns "$node") does not exist"
    if ! rabbit_nft_table_exists "$node"; then
        log "$node not partitioned"
        return 0
    fi
    ip netns exec "$(node_ns "$node")" nft delete table inet "$RABBIT_NFT_TABLE"
    did "healed $node (deleted nft table inet $RABBIT_NFT_TABLE)"
}

# NODE's own view in one CLI call, e.g. "app=running running_nodes=ctl1,ctl2,ctl3 partitions=" or
# "app=stopped" (stop_app, or paused by pause_minority: cluster_status refuses to answer then).
RABBIT_VIEW_EXPR='N = fun(L) -> string:join([lists:nth(2, string:split(atom_to_list(X), "@")) || X <- lists:sort(L)], ",") end,
case rabbit:is_running() of
    true -> lists:flatten(io_lib:format("app=running running_nodes=~s partitions=~s",
                [N(rabbit_mnesia:cluster_nodes(running)), N(rabbit_node_monitor:partitions())]));
    false -> "app=stopped"
end.'

# One line for NODE; fails unless its broker and app run, it sees all controllers running and no
# partition. The query is bounded by RABBIT_CTL_TIMEOUT, and a frozen broker is not queried at all.
rabbit_status_line() {
    local node=$1 pid view rc=0 cut=""
    if ! ns_exists "$(node_ns "$node")"; then
        printf 'rabbitmq %-5s namespace %s missing\n' "$node" "$(node_ns "$node")"
        return 1
    fi
    rabbit_nft_table_exists "$node" && cut=" nft-partitioned"
    if ! pid=$(rabbit_pid "$node"); then
        if [[ -s $(rabbit_dir "$node")/broker.lab.pid ]]; then
            printf 'rabbitmq %-5s dead (stale pid %s)%s\n' "$node" "$(<"$(rabbit_dir "$node")/broker.lab.pid")" "$cut"
        else
            printf 'rabbitmq %-5s not running%s\n' "$node" "$cut"
        fi
        return 1
    fi
    if rabbit_frozen "$pid"; then
        printf 'rabbitmq %-5s frozen (pid %s, SIGSTOP)%s\n' "$node" "$pid" "$cut"
        return 1
    fi
    view=$(rabbit_ctl "$node" "$RABBIT_CTL_TIMEOUT" -q eval "$RABBIT_VIEW_EXPR" 2>/dev/null) || rc=$?
    view=${view//\"/}
    if ((rc == 124)); then
        view="no answer within ${RABBIT_CTL_TIMEOUT}s"
    elif ((rc != 0)) || [[ $view != app=* ]]; then
        view="query failed (rabbitmqctl exit $rc)"
    fi
    view=${view/%partitions=/partitions=none}
    printf 'rabbitmq %-5s running (pid %s) %s%s\n' "$node" "$pid" "$view" "$cut"
    [[ $view == "app=running running_nodes=$(rabbit_want) partitions=none" && -z $cut ]]
}

plugin_cmd_rabbitmq_status() {
    local node rc=0
    for node in "${CONTROLLERS[@]}"; do rabbit_status_line "$node" || rc=1; done
    return "$rc"
}

plugin_cmd_rabbitmq_reset() {
    local node dir pids
    mapfile -t pids < <(rabbit_all_pids)
    if ((${#pids[@]} > 0)); then
        rabbit_terminate KILL 5 "${pids[@]}" # their data goes next: no graceful stop needed
        did "killed ${#pids[@]} broker(s): ${pids[*]}"
    fi
    for node in "${CONTROLLERS[@]}"; do
        if ns_exists "$(node_ns "$node")" && rabbit_nft_table_exists "$node"; then
            ip netns exec "$(node_ns "$node")" nft delete table inet "$RABBIT_NFT_TABLE"
            did "healed $node"
        fi
        dir=$(rabbit_dir "$node")
        if [[ -d $dir ]]; then
            rm -rf -- "$dir"
            did "removed $dir"
        fi
    done
    ((CHANGES == 0)) && log "rabbitmq-reset: nothing to do"
    return 0
}

plugin_usage_rabbitmq() {
    cat <<EOF
  rabbitmq-up            start rabbit@ctl1..3 (dirs \$RUN/ctlN/rabbitmq), cluster them, user $RABBIT_USER
                         (password in \$RUN/rabbit.pass), check the management API (${RABBIT_UP_TIMEOUT}s)
  rabbitmq-status        one line per controller: broker, app, running nodes, partitions
  rabbitmqctl NODE ARGS  rabbitmqctl against rabbit@NODE inside its namespace (its exit code)
  rabbitmq-diagnostics NODE ARGS
                         rabbitmq-diagnostics the same way (the bench anchor)
  rabbitmq-stop-app NODE | rabbitmq-start-app NODE
                         rabbitmqctl stop_app / start_app (start waits until it is back in the cluster)
  rabbitmq-signal NODE STOP|CONT|KILL|TERM
                         signal that broker's beam.smp (KILL/TERM: wait until it exited)
  rabbitmq-partition NODE | rabbitmq-heal NODE
                         drop / allow traffic between NODE and the other controllers (nft in NODE)
  rabbitmq-reset         kill the brokers, delete their dirs (keeps \$RUN/rabbit.pass and rabbit.cookie)
EOF
}

# Lines in `lab.sh status` once rabbitmq-up has made dirs.
plugin_status_rabbitmq() {
    local node
    for node in "${CONTROLLERS[@]}"; do
        [[ -d $(rabbit_dir "$node") ]] && { plugin_cmd_rabbitmq_status; return; }
    done
    return 0
}

# `down` would SIGKILL the brokers 5 s after SIGTERM, just before they finish a graceful stop
# (~6 s): stop them here first, so the next rabbitmq-up finds clean data. The nft tables go with
# the namespaces. `down` cannot see a broker or epmd whose namespace was deleted under it: those
# are found here by their records (broker: marker argument; epmd: PID and start time).
plugin_down_rabbitmq() {
    local node pid pids epmds=()
    mapfile -t pids < <(rabbit_all_pids)
    if ((${#pids[@]} > 0)); then
        log "SIGTERM ${#pids[@]} rabbitmq broker(s): ${pids[*]}"
        rabbit_terminate TERM "$RABBIT_DOWN_TIMEOUT" "${pids[@]}"
    fi
    for node in "${CONTROLLERS[@]}"; do
        if pid=$(rabbit_epmd_pid "$node") && [[ -z $(ip netns identify "$pid" 2>/dev/null) ]]; then epmds+=("$pid"); fi
    done
    pids_terminate "orphaned epmd" ${epmds[@]+"${epmds[@]}"}
    for node in "${CONTROLLERS[@]}"; do
        rm -f "$(rabbit_dir "$node")/broker.lab.pid" "$(rabbit_dir "$node")/epmd.lab.pid"
    done
}
