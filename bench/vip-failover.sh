#!/usr/bin/env bash
# VIP failover as a client sees it: hactl and keepalived 2.2.7 in the same run, same priorities
# (ctl1 150, ctl2 100, ctl3 50), same VRRP version (3) and advert interval, on the lab of
# examples/three-controller (namespaces bench-*, its own RUN). Prints figures; asserts nothing.
#
# Outage = the longest gap between two consecutive echo replies of a client pinging the VIP every
# 2 ms (ping -D -O -i 0.002 -W 1), over a window from before the event until replies flow again.
# While its probes go unanswered, ping sends them less often (about one per 10 ms was seen), so an
# outage is over-estimated by up to about that much, and "lost" counts probes, not milliseconds.
# "dup" counts duplicate replies: two hosts answering for the VIP at once.
# Scenarios, each REPEAT times (default 5), at 100 ms and at 1 s adverts:
#   power loss  the master's switch port goes down, then its VRRP process is SIGKILLed
#   graceful    SIGTERM of the master's VRRP process
#   handover    `hactl vip handover public --to ctl2` (hactl only)
# Then the soak: hactl (and keepalived, SOAK_KEEPALIVED=0 to skip) at 100 ms adverts for
# SOAK_SECONDS (default 60) with both cores saturated by two busy loops; VRRP transitions counted.
# INTERVALS="100ms" or KINDS="power graceful" run a subset (INTERVALS="" only the soak);
# SOAK_SECONDS=0 skips the soak.
#
# Needs root, keepalived, ping, curl (make bench installs them: scripts/install-deps.sh build lab bench).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lab="$root/examples/three-controller/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$root/.build/release/hactl}
# Its own run directory (not an inherited RUN: that may be another lab's).
export RUN=${VIP_BENCH_RUN:-/tmp/hactl-bench-vip-failover}
export LAB_PREFIX=bench-
export CONFIG=$RUN/cluster.yaml
REPEAT=${REPEAT:-5}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_KEEPALIVED=${SOAK_KEEPALIVED:-1}
INTERVALS=${INTERVALS-100ms 1s}               # a subset to shorten a run (empty: soak only)
KINDS=${KINDS-power graceful handover}        # likewise

VIP=198.18.0.10
NODES=(ctl1 ctl2 ctl3)
declare -A ADDR=([ctl1]=198.18.0.11 [ctl2]=198.18.0.12 [ctl3]=198.18.0.13)
declare -A PRIO=([ctl1]=150 [ctl2]=100 [ctl3]=50)
SETTLE=1.5        # s of steady state before an event (ARP caches, backups know the master)
TAIL=1            # s of replies kept after recovery
MOVE_TIMEOUT=20   # s for the VIP to move or come back
FLOW_TIMEOUT=10   # s for replies to flow again once the VIP has moved

PIDS=()           # ping and busy loops started here and not yet reaped: killed on exit
forget() { # forget PID: reaped, so never signalled again (its number may be reused)
    local p keep=()
    for p in ${PIDS[@]+"${PIDS[@]}"}; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=(${keep[@]+"${keep[@]}"})
}
cleanup() {
    local p
    for p in ${PIDS[@]+"${PIDS[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
    bash "$lab" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { printf 'vip-failover: %s\n' "$*" >&2; exit 1; }
note() { printf '  %s\n' "$*"; }
now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
[[ -x $HACTL_BIN ]] || die "no hactl binary at $HACTL_BIN (swift build -c release, or set HACTL_BIN)"
for t in keepalived ping curl ip awk; do command -v "$t" >/dev/null || die "'$t' not found (scripts/install-deps.sh lab)"; done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer"
[[ $SOAK_SECONDS =~ ^[0-9]+$ ]] || die "SOAK_SECONDS must be a whole number of seconds"

# ---------------------------------------------------------------------------------------------
# the lab and the two implementations

lab_fresh() {
    bash "$lab" down >/dev/null 2>&1 || true
    mkdir -p "$RUN"
    bash "$lab" up >/dev/null
}

# hactl_config INTERVAL (100ms | 1s)
hactl_config() {
    cat >"$CONFIG" <<EOF
cluster:
  name: bench-vip
  secret_file: $RUN/cluster.key
  api_port: 9780
  agent_check_port: 9781
controllers:
  ctl1: { address: ${ADDR[ctl1]} }
  ctl2: { address: ${ADDR[ctl2]} }
  ctl3: { address: ${ADDR[ctl3]} }
vips:
  - name: public
    vrid: 51
    interface: eth0
    addresses: [$VIP/24]
    priorities: { ctl1: ${PRIO[ctl1]}, ctl2: ${PRIO[ctl2]}, ctl3: ${PRIO[ctl3]} }
    advert_interval: $1
    version: 3
EOF
}

# keepalived_config NODE INTERVAL_SECONDS (0.1 | 1): the same router as hactl's.
keepalived_config() {
    cat >"$RUN/keepalived-$1.conf" <<EOF
global_defs {
    router_id bench-$1
    vrrp_version 3
}
vrrp_instance public {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${PRIO[$1]}
    advert_int $2
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
EOF
}

# start IMPL NODE
start() {
    case $1 in
        hactl) bash "$lab" start-agent "$2" >/dev/null ;;
        keepalived) bash "$lab" keepalived "$2" "$RUN/keepalived-$2.conf" >/dev/null ;;
    esac
}

# kill_vrrp IMPL NODE SIG: the node's VRRP process (the agent, or keepalived's process group for KILL).
kill_vrrp() {
    case $1 in
        hactl) bash "$lab" stop-agent "$2" "$3" >/dev/null ;;
        keepalived) bash "$lab" stop-keepalived "$2" "$3" >/dev/null ;;
    esac
}

holders() { # holders [NODE...]: which of the nodes (default all) have the VIP on eth0
    local n list=("$@")
    ((${#list[@]})) || list=("${NODES[@]}")
    for n in "${list[@]}"; do
        if ip -n "$LAB_PREFIX$n" -o -4 addr show dev eth0 2>/dev/null | grep -qF " $VIP/"; then printf '%s ' "$n"; fi
    done
    printf '\n'
}

# wait_holder NODE TIMEOUT [AMONG...]: until NODE is the only holder among AMONG (default all).
wait_holder() {
    local want=$1 timeout=$2 deadline
    shift 2
    deadline=$(awk -v t="$(now)" -v d="$timeout" 'BEGIN { printf "%.6f", t + d }')
    while [[ $(holders "$@") != "$want " ]]; do
        awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }' && return 1
        sleep 0.02
    done
}

# ---------------------------------------------------------------------------------------------
# the client's view

PING_PID=""
ping_start() { # ping_start FILE
    # Line-buffered, so wait_flowing sees replies as they come.
    bash "$lab" exec client stdbuf -oL ping -n -D -O -i 0.002 -W 1 "$VIP" >"$1" 2>&1 &
    PING_PID=$!
    PIDS+=("$PING_PID")
}
ping_stop() {
    kill -INT "$PING_PID" 2>/dev/null || true
    wait "$PING_PID" 2>/dev/null || true
    forget "$PING_PID"
    PING_PID=""
}

# Timestamp of the latest reply in a ping -D file (0 if none).
last_reply() { awk '/bytes from/ { t = substr($1, 2, length($1) - 2) } END { printf "%.6f\n", t + 0 }' "$1"; }

# analyse FILE T0 -> "GAP_MS LOST DUP": the longest gap between consecutive replies (ms; "NR" when
# no reply came after T0), echo requests without any reply between the first and last replied one,
# and duplicate replies (two hosts answering for the VIP at once).
analyse() {
    awk -v t0="$2" '
        /bytes from/ && /icmp_seq=/ {
            t = substr($1, 2, length($1) - 2) + 0
            match($0, /icmp_seq=[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9) + 0
            if ($0 ~ /DUP!/) { dup++; next }
            if (n++ && t - prev > gap) gap = t - prev
            prev = t
            if (!(s in seen)) { seen[s] = 1; distinct++ }
            if (min == "" || s < min) min = s
            if (s > max) max = s
            if (t > t0) after = 1
        }
        END {
            lost = (n ? max - min + 1 - distinct : 0)
            if (!after) printf "NR %d %d\n", lost, dup
            else printf "%.1f %d %d\n", gap * 1000, lost, dup
        }' "$1"
}

# wait_flowing FILE: until a reply newer than 100 ms has arrived (bounded), then TAIL more seconds.
wait_flowing() {
    local file=$1 start
    start=$(now)
    while :; do
        awk -v t="$(now)" -v l="$(last_reply "$file")" 'BEGIN { exit !(t - l < 0.1) }' && break
        awk -v e="$(elapsed_since "$start")" -v m="$FLOW_TIMEOUT" 'BEGIN { exit !(e > m) }' && return 1
        sleep 0.02
    done
    sleep "$TAIL"
}

# ---------------------------------------------------------------------------------------------
# scenarios

declare -A RESULT_GAP=() RESULT_LOST=() RESULT_DUP=()

record() { # record KEY GAP LOST DUP
    RESULT_GAP[$1]+="$2 "
    RESULT_LOST[$1]+="$3 "
    RESULT_DUP[$1]+="$4 "
}

# one_run IMPL KIND LABEL: ctl1 is master and steady; the event moves the VIP to ctl2; measured;
# then ctl1 is restored as master.
one_run() {
    local impl=$1 kind=$2 label=$3 file t0 result gap lost dup among=("${NODES[@]}")
    file=$(mktemp "$RUN/ping.XXXXXX")
    wait_holder ctl1 "$MOVE_TIMEOUT" || die "$impl: ctl1 did not become master (holders: $(holders))"
    sleep "$SETTLE"
    ping_start "$file"
    sleep 0.5
    t0=$(now)
    case $kind in
        power)
            bash "$lab" cut ctl1 >/dev/null
            kill_vrrp "$impl" ctl1 KILL
            among=(ctl2 ctl3) # ctl1 may keep a stale VIP, unreachable behind its cut port
            ;;
        graceful) kill_vrrp "$impl" ctl1 TERM ;;
        handover)
            bash "$lab" exec client "$HACTL_BIN" vip handover public --to ctl2 --config "$CONFIG" >/dev/null ||
                note "handover command failed"
            ;;
    esac
    if ! wait_holder ctl2 "$MOVE_TIMEOUT" "${among[@]}"; then
        note "$label $impl: VIP not on ctl2 alone after ${MOVE_TIMEOUT}s (holders: $(holders))"
    fi
    wait_flowing "$file" || note "$label $impl: replies did not resume within ${FLOW_TIMEOUT}s"
    ping_stop
    result=$(analyse "$file" "$t0")
    read -r gap lost dup <<<"$result"
    printf '  %-34s %-10s outage %8s ms  lost %5s  dup %s\n' "$label" "$impl" "$gap" "$lost" "$dup"
    record "$label|$impl" "$gap" "$lost" "$dup"
    rm -f "$file"
    # Restore ctl1 as master (preempt: 150 over 100).
    case $kind in
        power)
            bash "$lab" heal ctl1 >/dev/null
            start "$impl" ctl1
            ;;
        graceful) start "$impl" ctl1 ;;
        handover) bash "$lab" exec client "$HACTL_BIN" vip handover public --to ctl1 --config "$CONFIG" >/dev/null || true ;;
    esac
}

# phase IMPL INTERVAL_LABEL HACTL_INTERVAL KEEPALIVED_INTERVAL
phase() {
    local impl=$1 ilabel=$2 hint=$3 kint=$4 n i kinds=() k
    for k in $KINDS; do
        [[ $k == handover && $impl != hactl ]] || kinds+=("$k")
    done
    ((${#kinds[@]})) || return 0
    lab_fresh
    hactl_config "$hint"
    for n in "${NODES[@]}"; do keepalived_config "$n" "$kint"; done
    for n in "${NODES[@]}"; do start "$impl" "$n"; done
    local label
    for k in "${kinds[@]}"; do
        case $k in
            power) label="power loss, $ilabel adverts" ;;
            graceful) label="graceful stop, $ilabel adverts" ;;
            handover) label="handover, $ilabel adverts" ;;
            *) die "unknown kind '$k' in KINDS (power graceful handover)" ;;
        esac
        for ((i = 1; i <= REPEAT; i++)); do one_run "$impl" "$k" "$label"; done
    done
    bash "$lab" down >/dev/null
}

# ---------------------------------------------------------------------------------------------
# soak: transitions under CPU starvation

hactl_transitions() { # sum of hactl_vrrp_transitions_total over the three agents
    local n sum=0 v
    for n in "${NODES[@]}"; do
        v=$(bash "$lab" exec client curl -s -m 2 "http://${ADDR[$n]}:9780/metrics" |
            awk '/^hactl_vrrp_transitions_total/ { s += $2 } END { print s + 0 }')
        sum=$((sum + ${v%.*}))
    done
    printf '%s\n' "$sum"
}

keepalived_transitions() { # "Entering ... STATE" lines in the three logs
    local n sum=0 v
    for n in "${NODES[@]}"; do
        v=$(grep -c 'Entering .* STATE' "$RUN/$n/keepalived.log" 2>/dev/null || true)
        sum=$((sum + ${v:-0}))
    done
    printf '%s\n' "$sum"
}

soak() {
    local impl=$1 before after file t0 result gap lost dup loops=() i n
    lab_fresh
    hactl_config 100ms
    for n in "${NODES[@]}"; do keepalived_config "$n" 0.1; done
    for n in "${NODES[@]}"; do start "$impl" "$n"; done
    wait_holder ctl1 "$MOVE_TIMEOUT" || die "soak $impl: ctl1 did not become master"
    sleep "$SETTLE"
    before=$("${impl}_transitions")
    file=$(mktemp "$RUN/ping.XXXXXX")
    ping_start "$file"
    t0=$(now)
    for i in 1 2; do
        timeout "$SOAK_SECONDS" sh -c 'while :; do :; done' &
        loops+=($!)
        PIDS+=($!)
    done
    # In the background: a signal then interrupts `wait` at once, not after the whole soak.
    sleep "$SOAK_SECONDS" &
    i=$!
    PIDS+=("$i")
    wait "$i"
    forget "$i"
    for i in "${loops[@]}"; do
        kill -TERM "$i" 2>/dev/null || true
        wait "$i" 2>/dev/null || true
        forget "$i"
    done
    ping_stop
    after=$("${impl}_transitions")
    result=$(analyse "$file" "$t0")
    read -r gap lost dup <<<"$result"
    printf '  %-10s transitions during soak: %s   holders at end: %s  client: longest gap %s ms, lost %s, dup %s\n' \
        "$impl" "$((after - before))" "$(holders)" "$gap" "$lost" "$dup"
    if [[ $impl == hactl ]]; then
        for n in "${NODES[@]}"; do
            printf '    %s last_transition: %s\n' "$n" "$(bash "$lab" exec client curl -s -m 2 "http://${ADDR[$n]}:9780/v1/vip" |
                grep -o '"last_transition":{[^}]*}' || echo '?')"
        done
    fi
    rm -f "$file"
    bash "$lab" down >/dev/null
}

# ---------------------------------------------------------------------------------------------
# summary

stats() { # stats VALUES... -> "min median max" (NR counts as larger than any number)
    printf '%s\n' "$@" | sed 's/^NR$/999999/' | sort -g |
        awk '{ v[NR] = $1 } END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%s %s %s\n", (v[1] == 999999 ? "NR" : v[1]), (m >= 999999 ? "NR" : m), (v[NR] == 999999 ? "NR" : v[NR])
        }'
}

summary() {
    local key scenario impl l d s g
    printf '\n%-34s %-10s %4s  %28s  %s\n' "scenario" "impl" "n" "outage ms min / median / max" "lost pings (each run)  dup replies"
    for scenario in "power loss, 100ms adverts" "power loss, 1s adverts" "graceful stop, 100ms adverts" \
        "graceful stop, 1s adverts" "handover, 100ms adverts" "handover, 1s adverts"; do
        for impl in hactl keepalived; do
            key="$scenario|$impl"
            [[ -n ${RESULT_GAP[$key]+x} ]] || continue
            # shellcheck disable=SC2086
            s=$(stats ${RESULT_GAP[$key]})
            read -r -a g <<<"$s"
            l=${RESULT_LOST[$key]% } d=${RESULT_DUP[$key]% }
            printf '%-34s %-10s %4s  %8s / %8s / %8s  %-22s %s\n' "$scenario" "$impl" \
                "$(wc -w <<<"${RESULT_GAP[$key]}")" "${g[0]}" "${g[1]}" "${g[2]}" "${l// /,}" "${d// /,}"
        done
    done
}

# ---------------------------------------------------------------------------------------------

printf 'VIP failover bench: hactl %s vs keepalived %s; REPEAT=%s, SOAK_SECONDS=%s, namespaces %s*\n' \
    "$HACTL_BIN" "$(keepalived --version 2>&1 | awk 'NR == 1 { print $2 }')" "$REPEAT" "$SOAK_SECONDS" "$LAB_PREFIX"
for interval in $INTERVALS; do
    case $interval in
        100ms) kint=0.1 ;;
        1s) kint=1 ;;
        *) die "unknown interval '$interval' in INTERVALS (100ms 1s)" ;;
    esac
    for impl in hactl keepalived; do
        printf '%s, %s adverts:\n' "$impl" "$interval"
        phase "$impl" "$interval" "$interval" "$kint"
    done
done
((${#RESULT_GAP[@]})) && summary

if ((SOAK_SECONDS > 0)); then
    printf '\nsoak: %ss at 100 ms adverts, both cores saturated by 2 busy loops (target: 0 transitions)\n' "$SOAK_SECONDS"
    soak hactl
    ((SOAK_KEEPALIVED)) && soak keepalived
fi
