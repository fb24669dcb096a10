#!/usr/bin/env bash
# The three-controller reference layout as network namespaces on one machine.
#
# Layout: namespace `labsw` holds bridge br0 (no address: the bridge lives outside the root
# namespace so the host's netfilter never sees lab traffic). Each node namespace (ctl1..ctl3,
# client) has lo and one veth `eth0`; its peer `p-<ns>` sits in labsw, enslaved to br0.
# Addresses are only in 198.18.0.0/15 (the benchmarking range), and only inside these namespaces.
# With LAB_PREFIX set, every namespace (and /etc/netns/<namespace>) is named ${LAB_PREFIX}<name>, so
# several labs can coexist; node names (hosts files, command arguments) stay ctl1, client, ...
#
# Usage: lab.sh up|down|status|agents|start-agent N|stop-agent N [SIG]|kill-agent N|cut N|heal N|
#               keepalived N CONF|stop-keepalived N [SIG]|exec N CMD...|ns N
#        and the commands of the plug-ins in lab.d/ (Galera, RabbitMQ, HAProxy: see `lab.sh help`).
# Run as root. See README.md beside this file.
#
# IPv6 (opt-in): with LAB_IPV6=1, `up` leaves IPv6 on for the nodes' eth0 (the switch stays IPv6-free:
# it only bridges frames), gives the client 2001:2::100/64, and waits until every node's fe80::
# link-local address has finished duplicate address detection. 2001:2::/48 is the IPv6
# benchmarking range (RFC 5180), the counterpart of 198.18.0.0/15; it is only used inside the lab
# namespaces. The controllers keep IPv4-only node addresses: an IPv6 VIP then runs on IPv4
# controllers, with adverts from the link-locals (RFC 9568). `LAB_IPV6=1 lab.sh up` on a running
# lab switches IPv6 on in place; a plain `up` switches it off again.
#
# Plug-ins: every lab.d/*.sh is sourced after the core functions. A plug-in defines
#   plugin_cmd_NAME ARGS...  the command `lab.sh NAME` (dashes in NAME become underscores)
#   plugin_usage_FILE        prints its usage lines
#   plugin_down_FILE         called by `down` before the namespaces' processes are killed
#   plugin_status_FILE       called by `status` (returns non-zero when its part is broken)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)

HACTL_BIN=${HACTL_BIN:-$REPO_DIR/.build/debug/hactl}
CONFIG=${CONFIG:-$SCRIPT_DIR/cluster.yaml}
RUN=${RUN:-$SCRIPT_DIR/.run}
LAB_PREFIX=${LAB_PREFIX:-}
LAB_IPV6=${LAB_IPV6:-0}
KEEPALIVED_BIN=${KEEPALIVED_BIN:-keepalived}
# Absolute, because agents run with their state dir as working directory.
HACTL_BIN=$(realpath -m -- "$HACTL_BIN")
CONFIG=$(realpath -m -- "$CONFIG")
RUN=$(realpath -m -- "$RUN")

# The switch: one bridge in its own namespace. Later networks (storage, BMC) add bridges here.
SWITCH=labsw
SWITCH_NS=${LAB_PREFIX}${SWITCH}
LAN_BRIDGE=br0
LAN_PREFIX=24

# Node table: name -> address on the LAN bridge. Compute hosts join this table later.
CONTROLLERS=(ctl1 ctl2 ctl3)
NODES=(ctl1 ctl2 ctl3 client)
declare -A LAN_ADDR=(
    [ctl1]=198.18.0.11
    [ctl2]=198.18.0.12
    [ctl3]=198.18.0.13
    [client]=198.18.0.100
)

# IPv6 addresses (LAB_IPV6=1 only): the controllers have only their link-locals.
declare -A LAN6_ADDR=(
    [client]=2001:2::100
)
LAN6_PREFIX=64
IPV6_DAD_TIMEOUT=15       # seconds, for the link-locals of all nodes together

AGENT_HEALTH_TIMEOUT=30   # seconds, for all agents together
AGENT_STOP_TIMEOUT=10     # seconds, stop-agent (and stop-keepalived)
NS_KILL_TIMEOUT=5         # seconds between SIGTERM and SIGKILL in `down`

CHANGES=0
BATCH=()        # messages collected by did() between batch_begin and batch_end
BATCHING=0

# ---------------------------------------------------------------------------------------------
# output and checks

log() { printf 'lab: %s\n' "$*"; }
did() {
    CHANGES=$((CHANGES + 1))
    if ((BATCHING)); then BATCH+=("$*"); else log "$@"; fi
}
# `up` prints one line per namespace: what it changed there, if anything.
batch_begin() { BATCH=(); BATCHING=1; }
batch_end() {
    local label=$1 out="" m
    BATCHING=0
    ((${#BATCH[@]} > 0)) || return 0
    for m in "${BATCH[@]}"; do out+="${out:+; }$m"; done
    log "$label: $out"
}
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
die_usage() { printf 'lab: %s\n' "$*" >&2; exit 2; }

usage() {
    cat <<EOF
usage: $(basename "$0") COMMAND [ARGS]

  up                     create namespaces, bridge, veths, addresses, hosts files, cluster key
  down                   stop agents, kill every process in the lab namespaces, delete them
  status                 one line per namespace and per agent (exit 1 if the lab is incomplete)
  agents                 start 'hactl agent' in ctl1..ctl3 and wait until each answers /health/node
  start-agent NODE       start one agent (and wait for it)
  stop-agent NODE [SIG]  send SIG (default TERM) to the agent and wait up to ${AGENT_STOP_TIMEOUT}s for it to exit
  kill-agent NODE        SIGKILL the agent
  cut NODE | heal NODE   set the node's switch port p-NODE down / up (a cable cut)
  keepalived NODE CONF   start keepalived -n -l -D -f CONF in NODE's namespace (log \$RUN/NODE/keepalived.log)
  stop-keepalived NODE [SIG]
                         send SIG (default TERM) to that keepalived (KILL: its whole process group)
  exec NODE CMD...       run CMD inside NODE's namespace
  ns NODE                print NODE's namespace name

EOF
    local f
    for f in $(plugin_hooks usage); do "$f"; done
    cat <<EOF

environment: HACTL_BIN=$HACTL_BIN
             CONFIG=$CONFIG
             RUN=$RUN
             LAB_PREFIX=$LAB_PREFIX
             LAB_IPV6=$LAB_IPV6 (1: IPv6 on the nodes' eth0, client 2001:2::100/64)
EOF
}

require_root_and_ip() {
    if [[ $EUID -ne 0 ]]; then
        die_usage "error: must run as root (network namespaces, veths, bridges)"
    fi
    if ! command -v ip >/dev/null 2>&1; then
        die_usage "error: 'ip' not found: install iproute2 (scripts/install-deps.sh lab)"
    fi
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 ||
        die_usage "error: '$1' not found: install it (scripts/install-deps.sh lab)"
}

is_node() {
    local n
    for n in "${NODES[@]}"; do [[ $n == "$1" ]] && return 0; done
    return 1
}

is_controller() {
    local n
    for n in "${CONTROLLERS[@]}"; do [[ $n == "$1" ]] && return 0; done
    return 1
}

require_controller() {
    [[ -n ${1:-} ]] || die_usage "error: missing NODE (one of: ${CONTROLLERS[*]})"
    is_controller "$1" || die_usage "error: unknown controller '$1' (one of: ${CONTROLLERS[*]})"
}

require_node() {
    [[ -n ${1:-} ]] || die_usage "error: missing NODE (one of: ${NODES[*]})"
    is_node "$1" || die_usage "error: unknown node '$1' (one of: ${NODES[*]})"
}

# The namespace of a lab node (or of the switch, `labsw`): the name with LAB_PREFIX in front.
node_ns() { printf '%s%s\n' "$LAB_PREFIX" "$1"; }

# Deadlines in microseconds ($SECONDS only ticks on whole seconds, so a 5 s wait could be 4).
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t))"; }
deadline_in() { printf '%s\n' "$(($(now_us) + $1 * 1000000))"; }
past() { (($(now_us) >= $1)); }

# ---------------------------------------------------------------------------------------------
# namespaces

# `ip netns add` makes /run/netns/NAME; `ip netns list` reads the same directory.
ns_exists() { [[ -e /run/netns/$1 ]]; }

ns_create() {
    local ns=$1
    if ! ns_exists "$ns"; then
        ip netns add "$ns"
        did "created namespace"
    fi
    if ! ip -n "$ns" link show lo | grep '[<,]UP[,>]' >/dev/null; then
        ip -n "$ns" link set lo up
        did "lo up"
    fi
}

# Processes whose network namespace is NS (empty when NS does not exist).
ns_pids() {
    ns_exists "$1" || return 0
    ip netns pids "$1" 2>/dev/null || true
}

# pids_terminate LABEL PID...: SIGTERM, wait up to NS_KILL_TIMEOUT s, then SIGKILL survivors.
pids_terminate() {
    local label=$1 p alive=() deadline
    shift
    (($# > 0)) || return 0
    log "SIGTERM $# process(es) in $label: $*"
    kill -TERM "$@" 2>/dev/null || true
    kill -CONT "$@" 2>/dev/null || true # a stopped (frozen) process acts on TERM only once continued
    deadline=$(deadline_in "$NS_KILL_TIMEOUT")
    while :; do
        alive=()
        for p in "$@"; do pid_alive "$p" && alive+=("$p"); done
        ((${#alive[@]} == 0)) && return 0
        past "$deadline" && break
        sleep 0.2
    done
    log "SIGKILL ${#alive[@]} process(es) still alive after ${NS_KILL_TIMEOUT}s: ${alive[*]}"
    kill -KILL "${alive[@]}" 2>/dev/null || true
    deadline=$(deadline_in 2)
    for p in "${alive[@]}"; do
        while pid_alive "$p" && ! past "$deadline"; do sleep 0.1; done
    done
}

# Every process in the given namespaces (only namespaces this script creates are passed here).
ns_kill_all() {
    local ns pids=() p
    for ns in "$@"; do
        for p in $(ns_pids "$ns"); do pids+=("$p"); done
    done
    pids_terminate "namespaces $*" ${pids[@]+"${pids[@]}"}
}

ns_delete() {
    local ns=$1
    if ns_exists "$ns"; then
        ip netns del "$ns"
        did "deleted namespace"
    fi
}

# Sets one interface sysctl inside a namespace. IPv6 is switched off on lab links because
# the lab may only carry addresses in 198.18.0.0/15, and IPv6 would add fe80:: link-locals.
ns_if_no_ipv6() {
    local ns=$1 ifname=$2 key
    key=net.ipv6.conf.${ifname}.disable_ipv6
    [[ -e /proc/sys/net/ipv6 ]] || return 0
    if [[ $(ip netns exec "$ns" sysctl -n "$key") != 1 ]]; then
        ip netns exec "$ns" sysctl -qw "$key=1"
    fi
}

# The opposite, for LAB_IPV6=1: IPv6 on for one interface (the kernel then adds its fe80:: link-local).
ns_if_ipv6() {
    local ns=$1 ifname=$2 key
    key=net.ipv6.conf.${ifname}.disable_ipv6
    [[ -e /proc/sys/net/ipv6 ]] || die "LAB_IPV6=1, but this kernel has no IPv6"
    if [[ $(ip netns exec "$ns" sysctl -n "$key") != 0 ]]; then
        ip netns exec "$ns" sysctl -qw "$key=0"
        did "$ifname IPv6 on"
    fi
}

# ipv6_node_setup NS NODE: the node's IPv6 address, if it has one (without DAD: the lab is ours).
ipv6_node_setup() {
    local ns=$1 node=$2 addr=${LAN6_ADDR[$2]:-}
    [[ -n $addr ]] || return 0
    if ! ip -n "$ns" -6 -o addr show dev eth0 | awk '{print $4}' | grep -xF -- "$addr/$LAN6_PREFIX" >/dev/null; then
        ip -n "$ns" addr add "$addr/$LAN6_PREFIX" dev eth0 nodad
        did "eth0 $addr/$LAN6_PREFIX"
    fi
}

# ipv6_wait_link_local DEADLINE NS...: until each namespace's eth0 has an fe80:: address that is
# neither tentative (DAD running) nor dadfailed. IPv6 VRRP adverts must come from it.
ipv6_wait_link_local() {
    local deadline=$1 ns out
    shift
    for ns in "$@"; do
        while :; do
            out=$(ip -n "$ns" -6 -o addr show dev eth0 scope link 2>/dev/null || true)
            if [[ -n $out && $out != *tentative* && $out != *dadfailed* ]]; then break; fi
            past "$deadline" && die "$ns:eth0: no usable IPv6 link-local address after ${IPV6_DAD_TIMEOUT}s: ${out:-none}"
            sleep 0.1
        done
    done
}

# ---------------------------------------------------------------------------------------------
# links

link_exists() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

link_admin_up() { ip -n "$1" -o link show dev "$2" | grep '[<,]UP[,>]' >/dev/null; }

link_set_up() {
    local ns=$1 ifname=$2
    if ! link_admin_up "$ns" "$ifname"; then
        ip -n "$ns" link set dev "$ifname" up
        did "$ns:$ifname up"
    fi
}

# bridge_create NS BRIDGE: a plain learning switch. Multicast snooping is off so every port
# sees every multicast group (VRRP adverts and anything later tests send), like a dumb switch.
bridge_create() {
    local ns=$1 br=$2
    if ! link_exists "$ns" "$br"; then
        ip -n "$ns" link add name "$br" type bridge mcast_snooping 0 stp_state 0
        did "created bridge $br"
    fi
    ns_if_no_ipv6 "$ns" "$br"
    link_set_up "$ns" "$br"
}

# veth_attach NS IFNAME ADDR/PREFIX BRIDGE [PORT]: a veth whose end IFNAME is in NS with ADDR,
# and whose peer PORT (default p-NS) is in the switch namespace, enslaved to BRIDGE. The pair is
# created directly in the two namespaces, so it never appears in the root namespace.
veth_attach() {
    local ns=$1 ifname=$2 addr=$3 br=$4 port=${5:-p-$1}
    local have_if=0 have_port=0
    link_exists "$ns" "$ifname" && have_if=1
    link_exists "$SWITCH_NS" "$port" && have_port=1
    if ((have_if != have_port)); then
        # Half a pair (an interrupted run): drop it and start again.
        ((have_if)) && ip -n "$ns" link del dev "$ifname"
        ((have_port)) && ip -n "$SWITCH_NS" link del dev "$port"
        did "removed half-built veth $ns:$ifname / $SWITCH_NS:$port"
        have_if=0
    fi
    if ((!have_if)); then
        ip -n "$SWITCH_NS" link add name "$port" type veth peer name "$ifname" netns "$ns"
        did "veth $ns:$ifname <-> $SWITCH_NS:$port"
    fi
    if ! ip -n "$SWITCH_NS" -o link show dev "$port" | grep " master $br " >/dev/null; then
        ip -n "$SWITCH_NS" link set dev "$port" master "$br"
        did "$port in $br"
    fi
    ns_if_no_ipv6 "$SWITCH_NS" "$port"
    if ((LAB_IPV6)); then ns_if_ipv6 "$ns" "$ifname"; else ns_if_no_ipv6 "$ns" "$ifname"; fi
    if ! ip -n "$ns" -4 -o addr show dev "$ifname" | awk '{print $4}' | grep -xF -- "$addr" >/dev/null; then
        ip -n "$ns" addr add "$addr" dev "$ifname"
        did "$ifname $addr"
    fi
    ip -n "$ns" link set dev "$ifname" multicast on
    link_set_up "$SWITCH_NS" "$port"
    link_set_up "$ns" "$ifname"
}

# Leftover switch ports in the root namespace (from older versions or manual experiments).
# Only names this script uses (p-<node>) are touched.
root_leftovers_delete() {
    local n
    for n in "${NODES[@]}"; do
        if ip link show dev "p-$n" >/dev/null 2>&1; then
            ip link del dev "p-$n"
            did "deleted leftover root-namespace link p-$n"
        fi
    done
}

# write_if_changed PATH MODE OWNER: stdin becomes PATH (atomically, with MODE and OWNER) when the
# content differs; returns 0 when it wrote, 1 when PATH already had that content (its mode and owner
# are put back silently), so re-runs stay quiet.
write_if_changed() {
    local path=$1 mode=$2 owner=$3 tmp
    tmp=$(mktemp "$(dirname "$path")/.put.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    chown "$owner" "$tmp"
    if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
        chmod "$mode" "$path"
        chown "$owner" "$path"
        return 1
    fi
    mv -f "$tmp" "$path"
}

# The signal name for SIG (TERM, sigterm, SIGTERM, 15 -> TERM); a usage error when unknown.
signal_name() {
    local sig=${1^^}
    sig=${sig#SIG}
    kill -l "$sig" >/dev/null 2>&1 || die_usage "error: unknown signal '$sig'"
    [[ $sig =~ ^[0-9]+$ ]] && sig=$(kill -l "$sig")
    printf '%s\n' "$sig"
}

# ---------------------------------------------------------------------------------------------
# name resolution: `ip netns exec NS` bind-mounts /etc/netns/NS/hosts over /etc/hosts

hosts_content() {
    local ns=$1 n
    printf '# written by %s for namespace %s\n' "examples/three-controller/lab.sh" "$ns"
    printf '127.0.0.1\tlocalhost\n'
    printf '::1\tlocalhost ip6-localhost ip6-loopback\n'
    for n in "${NODES[@]}"; do
        printf '%s\t%s\n' "${LAN_ADDR[$n]}" "$n"
    done
}

hosts_write() {
    local dir=/etc/netns/$1
    mkdir -p "$dir"
    if hosts_content "$1" | write_if_changed "$dir/hosts" 0644 root:root; then did "wrote $dir/hosts"; fi
}

hosts_delete() {
    local ns=$1
    if [[ -d /etc/netns/$ns ]]; then
        rm -rf -- "/etc/netns/$ns"
        did "removed /etc/netns/$ns"
    fi
}

# ---------------------------------------------------------------------------------------------
# run directory and cluster secret

run_dir_create() {
    if [[ ! -d $RUN ]]; then
        mkdir -p "$RUN"
        did "created $RUN"
    fi
}

secret_create() {
    local key=$RUN/cluster.key
    if [[ ! -s $key ]]; then
        (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key")
        did "created $key (32 random bytes, hex, mode 0600)"
    elif [[ $(stat -c %a "$key") != 600 ]]; then
        chmod 0600 "$key"
        did "$key: mode set to 0600"
    fi
}

# ---------------------------------------------------------------------------------------------
# agents (hactl agent in each controller namespace, tracked by PID file)

pid_alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# The PID recorded in FILE for NODE, printed only if that process is alive and is ours: it is in
# NODE's namespace, or (namespace already gone) its command line has the argument MARK.
recorded_pid() {
    local node=$1 file=$2 mark=$3 pid
    [[ -r $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    pid_alive "$pid" || return 1
    if [[ $(ip netns identify "$pid" 2>/dev/null) == "$(node_ns "$node")" ]] ||
        tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -xF -- "$mark" >/dev/null; then
        printf '%s\n' "$pid"
        return 0
    fi
    return 1
}

# NODE's agent (its command line names NODE's state dir).
agent_pid() { recorded_pid "$1" "$RUN/$1/agent.pid" "$RUN/$1"; }

api_port() {
    local port=""
    if [[ -r $CONFIG ]]; then
        port=$(sed -n 's/^[[:space:]]*api_port:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$CONFIG" | head -n1)
    fi
    printf '%s\n' "${port:-9780}"
}

# HTTP status of GET /health/node from inside NODE's namespace ("000" when nothing answers).
agent_health_code() {
    local node=$1 url
    url="http://${LAN_ADDR[$node]}:$(api_port)/health/node"
    ip netns exec "$(node_ns "$node")" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null || true
}

# The last 30 lines of a log since lab.sh's latest start marker (`=== ... lab.sh: starting`), on stderr.
latest_start_tail() {
    local log=$1
    if [[ -s $log ]]; then
        printf -- '--- %s (latest start) ---\n' "$log" >&2
        awk '/^=== .* lab\.sh: starting /{n = 0} {buf[n++] = $0} END{for (i = (n > 30 ? n - 30 : 0); i < n; i++) print buf[i]}' "$log" >&2
        printf -- '---\n' >&2
    else
        printf 'lab: (%s is empty)\n' "$log" >&2
    fi
}

agent_log_tail() { latest_start_tail "$RUN/$1/agent.log"; }

agent_start() {
    local node=$1 dir=$RUN/$1 pid ns
    ns=$(node_ns "$1")
    if pid=$(agent_pid "$node"); then
        log "agent $node already running (pid $pid)"
        return 0
    fi
    ns_exists "$ns" || die "namespace $ns does not exist: run '$0 up' first"
    mkdir -p "$dir"
    printf '=== %s lab.sh: starting %s\n' "$(date -Is)" "$HACTL_BIN" >>"$dir/agent.log"
    # setsid + nohup: the agent outlives this script and the terminal. The subshell execs
    # `ip netns exec`, which execs setsid, nohup and then the agent, so $! is the agent's PID.
    (
        cd "$dir" &&
            exec ip netns exec "$ns" setsid nohup "$HACTL_BIN" agent \
                --config "$CONFIG" --node "$node" --state-dir "$dir" \
                </dev/null >>"$dir/agent.log" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$dir/agent.pid"
    did "started agent $node (pid $pid, log $dir/agent.log)"
}

# Waits until every given node's agent answers /health/node (200 or 503), AGENT_HEALTH_TIMEOUT s
# for all together; fails with the log tail of the first one that died or never answered.
agents_wait_healthy() {
    local deadline pending=("$@") still node code
    deadline=$(deadline_in "$AGENT_HEALTH_TIMEOUT")
    while ((${#pending[@]} > 0)); do
        still=()
        for node in "${pending[@]}"; do
            if ! agent_pid "$node" >/dev/null; then
                printf 'lab: error: agent %s exited before answering /health/node\n' "$node" >&2
                agent_log_tail "$node"
                exit 1
            fi
            code=$(agent_health_code "$node")
            if [[ $code == 200 || $code == 503 ]]; then
                log "agent $node answers /health/node ($code)"
            else
                still+=("$node")
            fi
        done
        pending=("${still[@]}")
        ((${#pending[@]} == 0)) && break
        if past "$deadline"; then
            for node in "${pending[@]}"; do
                printf 'lab: error: agent %s did not answer /health/node within %ss (left running: %s)\n' \
                    "$node" "$AGENT_HEALTH_TIMEOUT" "lab.sh stop-agent $node, or lab.sh down" >&2
                agent_log_tail "$node"
            done
            exit 1
        fi
        sleep 0.3
    done
}

require_agent_inputs() {
    require_tool curl
    [[ -x $HACTL_BIN ]] ||
        die_usage "error: hactl binary not found or not executable: $HACTL_BIN (run 'swift build' or set HACTL_BIN)"
    [[ -r $CONFIG ]] || die_usage "error: config not readable: $CONFIG (set CONFIG)"
}

# Sends SIG to NODE's agent; for terminating signals waits up to TIMEOUT s for it to exit.
agent_signal() {
    local node=$1 sig=$2 timeout=$3 pid deadline
    if ! pid=$(agent_pid "$node"); then
        log "agent $node is not running"
        rm -f "$RUN/$node/agent.pid"
        return 0
    fi
    kill -s "$sig" "$pid"
    did "sent SIG$sig to agent $node (pid $pid)"
    case $sig in
        TERM | INT | QUIT) kill -CONT "$pid" 2>/dev/null || true ;; # a frozen agent can act on it
        KILL) ;;
        *) return 0 ;; # STOP, CONT, HUP, USR1...: the agent is meant to stay
    esac
    deadline=$(deadline_in "$timeout")
    while pid_alive "$pid"; do
        if past "$deadline"; then
            die "agent $node (pid $pid) still running ${timeout}s after SIG$sig"
        fi
        sleep 0.1
    done
    rm -f "$RUN/$node/agent.pid"
    log "agent $node exited"
}

# ---------------------------------------------------------------------------------------------
# keepalived (a VRRP peer for interop tests and benches), tracked by PID file like the agents.
# keepalived's own pid files (-p, -r, -c) are per node so several instances coexist; the PID
# this script started is recorded separately, because keepalived removes its files on exit.

KEEPALIVED_PID_FILE=keepalived.lab.pid
KEEPALIVED_START_TIMEOUT=10   # seconds until the VRRP (or checker) child has written its pid file

# NODE's keepalived (its command line names NODE's keepalived pid file).
keepalived_pid() { recorded_pid "$1" "$RUN/$1/$KEEPALIVED_PID_FILE" "$RUN/$1/keepalived.pid"; }

# Alive processes of process group PGID (keepalived and its VRRP/checker children after setsid).
pgroup_pids() {
    local pgid=$1 f p
    for f in /proc/[0-9]*/stat; do
        p=${f#/proc/}
        p=${p%/stat}
        [[ $(awk '{print $5}' "$f" 2>/dev/null) == "$pgid" ]] && pid_alive "$p" && printf '%s\n' "$p"
    done
    return 0
}

keepalived_log_tail() { latest_start_tail "$RUN/$1/keepalived.log"; }

keepalived_start() {
    local node=$1 conf=$2 dir=$RUN/$1 pid ns deadline f
    ns=$(node_ns "$node")
    if pid=$(keepalived_pid "$node"); then
        log "keepalived $node already running (pid $pid; stop-keepalived $node first to change its config)"
        return 0
    fi
    ns_exists "$ns" || die "namespace $ns does not exist: run '$0 up' first"
    mkdir -p "$dir"
    # Not running: its pid files are stale (a SIGKILL leaves them), and keepalived refuses to start
    # when a stale file names a live PID.
    for f in keepalived.pid vrrp.pid checkers.pid "$KEEPALIVED_PID_FILE"; do rm -f "$dir/$f"; done
    printf '=== %s lab.sh: starting %s -f %s\n' "$(date -Is)" "$KEEPALIVED_BIN" "$conf" >>"$dir/keepalived.log"
    # As for the agents: the subshell execs ip netns exec -> setsid -> nohup -> keepalived, so $! is
    # keepalived's PID, and setsid makes it the leader of a process group its children share.
    (
        cd "$dir" &&
            exec ip netns exec "$ns" setsid nohup "$KEEPALIVED_BIN" -n -l -D -f "$conf" \
                -p "$dir/keepalived.pid" -r "$dir/vrrp.pid" -c "$dir/checkers.pid" \
                </dev/null >>"$dir/keepalived.log" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$dir/$KEEPALIVED_PID_FILE"
    deadline=$(deadline_in "$KEEPALIVED_START_TIMEOUT")
    until [[ -s $dir/vrrp.pid || -s $dir/checkers.pid ]]; do
        if ! pid_alive "$pid"; then
            printf 'lab: error: keepalived %s exited during start\n' "$node" >&2
            keepalived_log_tail "$node"
            rm -f "$dir/$KEEPALIVED_PID_FILE"
            exit 1
        fi
        if past "$deadline"; then
            printf 'lab: error: keepalived %s started no VRRP or checker process within %ss (left running: %s)\n' \
                "$node" "$KEEPALIVED_START_TIMEOUT" "lab.sh stop-keepalived $node, or lab.sh down" >&2
            keepalived_log_tail "$node"
            exit 1
        fi
        sleep 0.1
    done
    did "started keepalived $node (pid $pid, config $conf, log $dir/keepalived.log)"
}

# Sends SIG to NODE's keepalived: KILL, STOP and CONT to its whole process group (a power loss or
# a freeze must reach the VRRP child too), other signals to the main process, which relays them.
# For TERM/INT/QUIT/KILL waits up to TIMEOUT s until every process of the group has exited.
keepalived_signal() {
    local node=$1 sig=$2 timeout=$3 pid deadline target what f dir=$RUN/$1
    if ! pid=$(keepalived_pid "$node"); then
        log "keepalived $node is not running"
        rm -f "$dir/$KEEPALIVED_PID_FILE"
        return 0
    fi
    target=$pid what="pid $pid"
    case $sig in
        KILL | STOP | CONT)
            # setsid made it a group leader; check rather than assume before signalling a group.
            if [[ $(awk '{print $5}' "/proc/$pid/stat" 2>/dev/null) == "$pid" ]]; then
                target=-$pid what="process group $pid"
            fi
            ;;
    esac
    kill -s "$sig" -- "$target"
    did "sent SIG$sig to keepalived $node ($what)"
    case $sig in
        TERM | INT | QUIT) kill -CONT -- "-$pid" 2>/dev/null || true ;; # a frozen keepalived can act on it
        KILL) ;;
        *) return 0 ;; # STOP, CONT, HUP, USR1...: keepalived is meant to stay
    esac
    deadline=$(deadline_in "$timeout")
    while pid_alive "$pid" || [[ -n $(pgroup_pids "$pid") ]]; do
        if past "$deadline"; then
            die "keepalived $node (pid $pid) still running ${timeout}s after SIG$sig"
        fi
        sleep 0.05
    done
    # A graceful exit removes keepalived's own pid files; after SIGKILL they are stale.
    for f in keepalived.pid vrrp.pid checkers.pid "$KEEPALIVED_PID_FILE"; do rm -f "$dir/$f"; done
    log "keepalived $node exited"
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_up() {
    local n ns
    batch_begin
    ns_create "$SWITCH_NS"
    bridge_create "$SWITCH_NS" "$LAN_BRIDGE"
    batch_end "$SWITCH_NS"
    for n in "${NODES[@]}"; do
        ns=$(node_ns "$n")
        batch_begin
        ns_create "$ns"
        veth_attach "$ns" eth0 "${LAN_ADDR[$n]}/$LAN_PREFIX" "$LAN_BRIDGE" "p-$n"
        ((LAB_IPV6)) && ipv6_node_setup "$ns" "$n"
        hosts_write "$ns"
        batch_end "$ns"
    done
    if ((LAB_IPV6)); then
        local all_ns=()
        for n in "${NODES[@]}"; do all_ns+=("$(node_ns "$n")"); done
        ipv6_wait_link_local "$(deadline_in "$IPV6_DAD_TIMEOUT")" "${all_ns[@]}"
    fi
    batch_begin
    run_dir_create
    secret_create
    batch_end run
    if ((CHANGES == 0)); then
        log "up: already up (nothing to do)"
    else
        log "up: done ($CHANGES change(s))"
    fi
}

cmd_down() {
    local n node pid orphans=() all=() f
    for n in "${NODES[@]}"; do all+=("$(node_ns "$n")"); done
    all+=("$SWITCH_NS")
    for f in $(plugin_hooks down); do "$f"; done
    # Agents and keepalived go with the rest of their namespace.
    ns_kill_all "${all[@]}"
    # A recorded agent or keepalived outside its namespace (its namespace deleted under it).
    for node in "${CONTROLLERS[@]}"; do
        if pid=$(agent_pid "$node"); then orphans+=("$pid"); fi
    done
    pids_terminate "recorded agents" ${orphans[@]+"${orphans[@]}"}
    orphans=()
    for node in "${NODES[@]}"; do
        if pid=$(keepalived_pid "$node"); then orphans+=("$pid"); fi
    done
    pids_terminate "recorded keepalived" ${orphans[@]+"${orphans[@]}"}
    for node in "${CONTROLLERS[@]}"; do
        if [[ -e $RUN/$node/agent.pid ]]; then
            rm -f "$RUN/$node/agent.pid"
            did "removed $RUN/$node/agent.pid"
        fi
    done
    for node in "${NODES[@]}"; do
        if [[ -e $RUN/$node/$KEEPALIVED_PID_FILE ]]; then
            rm -f "$RUN/$node/$KEEPALIVED_PID_FILE"
            did "removed $RUN/$node/$KEEPALIVED_PID_FILE"
        fi
    done
    for n in "${all[@]}"; do
        batch_begin
        ns_delete "$n"
        hosts_delete "$n"
        batch_end "$n"
    done
    root_leftovers_delete
    if ((CHANGES == 0)); then
        log "down: nothing to do"
    else
        log "down: done ($CHANGES change(s))"
    fi
}

status_line_ns() {
    local ns=$1 procs state addr
    if ! ns_exists "$ns"; then
        printf '%-8s missing\n' "$ns"
        return 1
    fi
    procs=$(ns_pids "$ns" | wc -l)
    if [[ $ns == "$SWITCH_NS" ]]; then
        local ports
        ports=$(ip -n "$ns" -o link show master "$LAN_BRIDGE" 2>/dev/null |
            awk '{sub(/@.*/, "", $2); sub(/:$/, "", $2); s = ($0 ~ /[<,]UP[,>]/) ? "up" : "DOWN"; printf "%s%s=%s", sep, $2, s; sep = " "}')
        state=$(ip -n "$ns" -br link show dev "$LAN_BRIDGE" 2>/dev/null | awk '{print $2}')
        printf '%-8s exists  %s %-8s ports: %s  procs=%s\n' "$ns" "$LAN_BRIDGE" "${state:-missing}" "${ports:-none}" "$procs"
        [[ -n $state ]] || return 1
        return 0
    fi
    state=$(ip -n "$ns" -br link show dev eth0 2>/dev/null | awk '{print $2}')
    addr=$(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | paste -sd, -)
    printf '%-8s exists  eth0 %-15s %-16s procs=%s\n' "$ns" "${addr:-no-address}" "${state:-missing}" "$procs"
    [[ -n $state && -n $addr ]]
}

cmd_status() {
    local n rc=0 pid
    for n in "$SWITCH" "${NODES[@]}"; do
        status_line_ns "$(node_ns "$n")" || rc=1
    done
    for n in "${CONTROLLERS[@]}"; do
        if pid=$(agent_pid "$n"); then
            printf 'agent %-5s running (pid %s)\n' "$n" "$pid"
        elif [[ -e $RUN/$n/agent.pid ]]; then
            printf 'agent %-5s dead (stale pid %s)\n' "$n" "$(<"$RUN/$n/agent.pid")"
        else
            printf 'agent %-5s not running\n' "$n"
        fi
    done
    # keepalived only where this script started one.
    for n in "${NODES[@]}"; do
        if pid=$(keepalived_pid "$n"); then
            printf 'keepalived %-5s running (pid %s)\n' "$n" "$pid"
        elif [[ -e $RUN/$n/$KEEPALIVED_PID_FILE ]]; then
            printf 'keepalived %-5s dead (stale pid %s)\n' "$n" "$(<"$RUN/$n/$KEEPALIVED_PID_FILE")"
        fi
    done
    local f
    for f in $(plugin_hooks status); do "$f" || rc=1; done
    return "$rc"
}

cmd_port() {
    local node=${1:-} updown=$2
    [[ -n $node ]] || die_usage "error: missing NODE"
    is_node "$node" || die_usage "error: unknown node '$node' (one of: ${NODES[*]})"
    link_exists "$SWITCH_NS" "p-$node" || die "switch port p-$node does not exist: run '$0 up' first"
    ip -n "$SWITCH_NS" link set dev "p-$node" "$updown"
    log "$SWITCH_NS: port p-$node $updown"
}

# The functions named plugin_KIND_* (KIND: usage, down, status), in name order.
plugin_hooks() { declare -F | awk -v p="plugin_$1_" '$3 ~ "^" p {print $3}' | sort; }

main() {
    local cmd=${1:-}
    case $cmd in
        "" | -h | --help | help)
            usage
            [[ -n $cmd ]] || exit 2
            exit 0
            ;;
    esac
    shift
    if [[ $cmd == ns ]]; then # a name only: needs neither root nor ip
        [[ -n ${1:-} ]] || die_usage "usage: $0 ns NODE"
        is_node "$1" || [[ $1 == "$SWITCH" ]] || die_usage "error: unknown node '$1' (one of: ${NODES[*]} $SWITCH)"
        node_ns "$1"
        exit 0
    fi
    require_root_and_ip
    case $cmd in
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        agents)
            require_agent_inputs
            local n
            for n in "${CONTROLLERS[@]}"; do agent_start "$n"; done
            agents_wait_healthy "${CONTROLLERS[@]}"
            ;;
        start-agent)
            require_controller "${1:-}"
            require_agent_inputs
            agent_start "$1"
            agents_wait_healthy "$1"
            ;;
        stop-agent)
            require_controller "${1:-}"
            local sig
            sig=$(signal_name "${2:-TERM}")
            agent_signal "$1" "$sig" "$AGENT_STOP_TIMEOUT"
            ;;
        kill-agent)
            require_controller "${1:-}"
            agent_signal "$1" KILL 2
            ;;
        cut) cmd_port "${1:-}" down ;;
        heal) cmd_port "${1:-}" up ;;
        keepalived)
            require_node "${1:-}"
            [[ -n ${2:-} ]] || die_usage "usage: $0 keepalived NODE CONF"
            [[ -r $2 ]] || die_usage "error: keepalived config not readable: $2"
            command -v "$KEEPALIVED_BIN" >/dev/null 2>&1 ||
                die_usage "error: '$KEEPALIVED_BIN' not found: install keepalived (scripts/install-deps.sh lab)"
            keepalived_start "$1" "$(realpath -- "$2")"
            ;;
        stop-keepalived)
            require_node "${1:-}"
            local ksig
            ksig=$(signal_name "${2:-TERM}")
            keepalived_signal "$1" "$ksig" "$AGENT_STOP_TIMEOUT"
            ;;
        exec)
            [[ $# -ge 2 ]] || die_usage "usage: $0 exec NODE CMD..."
            local ns=$1
            shift
            # A lab node (or the switch) maps to its namespace; any other name is taken as a namespace.
            if is_node "$ns" || [[ $ns == "$SWITCH" ]]; then ns=$(node_ns "$ns"); fi
            ns_exists "$ns" || die "namespace $ns does not exist"
            exec ip netns exec "$ns" "$@"
            ;;
        *)
            if declare -F "plugin_cmd_${cmd//-/_}" >/dev/null; then
                "plugin_cmd_${cmd//-/_}" "$@"
            else
                usage >&2
                exit 2
            fi
            ;;
    esac
}

for plugin in "$SCRIPT_DIR"/lab.d/*.sh; do
    [[ -e $plugin ]] || continue
    # shellcheck source=/dev/null
    source "$plugin"
done
unset plugin

main "$@"
