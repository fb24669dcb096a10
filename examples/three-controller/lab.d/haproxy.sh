# shellcheck shell=bash
# lab.sh plug-in: HAProxy in the client namespace in front of the Galera cluster.
#
# galera_write (:3306) and galera_read (:3307) on the client address forward to ctl1..ctl3:3306;
# which servers are UP is decided by the hactl agents' HTTP health endpoints on port 9780
# (/health/galera/writer and /health/galera). Without agents every server is simply DOWN.
# A stats page on :8404 (/stats, /stats;csv) and an admin socket in $RUN/client/ show the states.
# HAProxy runs daemonized (-D) with a pid file; a reload starts a new process with -sf OLD.

HAPROXY_NODE=client
HAPROXY_HEALTH_PORT=9780
HAPROXY_STATS_PORT=8404
HAPROXY_START_TIMEOUT=10   # seconds until the stats page answers
HAPROXY_STOP_TIMEOUT=5     # seconds, SIGTERM then SIGKILL

haproxy_dir() { printf '%s\n' "$RUN/$HAPROXY_NODE"; }
haproxy_cfg() { printf '%s\n' "$(haproxy_dir)/haproxy.cfg"; }
haproxy_pidfile() { printf '%s\n' "$(haproxy_dir)/haproxy.pid"; }
haproxy_state_file() { printf '%s\n' "$(haproxy_dir)/haproxy.state"; }
haproxy_stats_url() { printf 'http://%s:%s/stats;csv\n' "${LAN_ADDR[$HAPROXY_NODE]}" "$HAPROXY_STATS_PORT"; }

plugin_usage_haproxy() {
    cat <<EOF
  haproxy-up             HAProxy in the client namespace: galera_write :3306, galera_read :3307,
                         stats :8404/stats (config \$RUN/client/haproxy.cfg); reloads a changed config
  haproxy-reload         re-read the config (new process, -sf the old one)
  haproxy-stop           stop HAProxy
  haproxy-servers [BACKEND]
                         one line per server: BACKEND SERVER STATE [TRANSITION] (from /stats;csv)
EOF
}

haproxy_config() {
    local addr=${LAN_ADDR[$HAPROXY_NODE]} dir n
    dir=$(haproxy_dir)
    cat <<EOF
# Written by examples/three-controller/lab.d/haproxy.sh. The lab has no syslog: no log lines.
global
    stats socket $dir/haproxy.sock mode 600 level admin
    # A new process starts every server UP until its checks fail; a reload carries the old
    # process's states over instead (haproxy-reload dumps them here first).
    server-state-file $(haproxy_state_file)
    maxconn 256
    nbthread 1
    # A reload's old process would otherwise wait for client sessions (timeout client 1h) to end.
    hard-stop-after 5s

defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout check 1s
    load-server-state-from-file global
    # Health comes from the hactl agent's HTTP endpoint, not from the database port.
    default-server check port $HAPROXY_HEALTH_PORT inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions

# Writes: only the node whose agent answers 200 on /health/galera/writer (every agent picks the same).
listen galera_write
    bind $addr:3306
    option httpchk GET /health/galera/writer
    http-check expect status 200
EOF
    for n in "${CONTROLLERS[@]}"; do printf '    server %s %s:3306\n' "$n" "${LAN_ADDR[$n]}"; done
    cat <<EOF

# Reads: every node whose agent answers 200 on /health/galera.
listen galera_read
    bind $addr:3307
    balance roundrobin
    option httpchk GET /health/galera
    http-check expect status 200
EOF
    for n in "${CONTROLLERS[@]}"; do printf '    server %s %s:3306\n' "$n" "${LAN_ADDR[$n]}"; done
    cat <<EOF

listen stats
    bind $addr:$HAPROXY_STATS_PORT
    mode http
    timeout client 10s
    stats enable
    stats uri /stats
    stats refresh 2s
EOF
}

# The running HAProxy (its command line names our config).
haproxy_pid() { recorded_pid "$HAPROXY_NODE" "$(haproxy_pidfile)" "$(haproxy_cfg)"; }

# Writes the config if it differs; returns 0 if it changed.
haproxy_config_write() {
    local cfg tmp
    cfg=$(haproxy_cfg)
    mkdir -p "$(haproxy_dir)"
    tmp=$(mktemp "$cfg.XXXXXX")
    haproxy_config >"$tmp"
    chmod 0644 "$tmp"
    if [[ -f $cfg ]] && cmp -s "$tmp" "$cfg"; then
        rm -f "$tmp"
        return 1
    fi
    if ! haproxy -c -q -f "$tmp" >&2; then
        rm -f "$tmp"
        die "generated HAProxy config is invalid (see above)"
    fi
    mv -f "$tmp" "$cfg"
    did "wrote $cfg"
}

haproxy_log_tail() {
    local log
    log=$(haproxy_dir)/haproxy.log
    printf -- '--- %s (last 20 lines) ---\n' "$log" >&2
    tail -n 20 "$log" >&2 2>/dev/null || true
    printf -- '---\n' >&2
}

# The running process's server states into the state file (via its admin socket), so the process
# a reload starts does not begin with every server UP. Without them it starts like a fresh one.
haproxy_state_save() {
    local state
    state=$(haproxy_state_file)
    if python3 - "$(haproxy_dir)/haproxy.sock" >"$state.tmp" 2>/dev/null <<'PY'; then
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"show servers state\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
PY
        mv -f "$state.tmp" "$state"
    else
        rm -f "$state.tmp" "$state"
    fi
}

# Until every server has had its first check (check_status INI) and no check streak is half way
# ("UP 1/2"): right after a fresh start all servers are UP for one check interval. Bounded, silent.
haproxy_settle() {
    local ns deadline
    ns=$(node_ns "$HAPROXY_NODE")
    deadline=$(deadline_in 3)
    until ip netns exec "$ns" curl -sf --max-time 1 "$(haproxy_stats_url)" | awk -F, '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
        $2 == "FRONTEND" || $2 == "BACKEND" || $1 == "stats" { next }
        $col["check_status"] ~ /INI/ || $col["status"] ~ /\// { busy = 1 }
        END { exit busy }'; do
        past "$deadline" && return 0
        sleep 0.1
    done
}

# haproxy_launch [-sf PID]: haproxy -D returns once the daemon has bound its listeners (or failed).
haproxy_launch() {
    local ns cfg log pid deadline
    ns=$(node_ns "$HAPROXY_NODE")
    ns_exists "$ns" || die "namespace $ns does not exist: run '$0 up' first"
    cfg=$(haproxy_cfg)
    log=$(haproxy_dir)/haproxy.log
    printf '=== %s lab.sh: haproxy -f %s -D %s\n' "$(date -Is)" "$cfg" "$*" >>"$log"
    if ! timeout -k 1 "$HAPROXY_START_TIMEOUT" ip netns exec "$ns" \
        haproxy -f "$cfg" -D -p "$(haproxy_pidfile)" "$@" </dev/null >>"$log" 2>&1; then
        printf 'lab: error: haproxy failed to start\n' >&2
        haproxy_log_tail
        exit 1
    fi
    deadline=$(deadline_in "$HAPROXY_START_TIMEOUT")
    until pid=$(haproxy_pid) &&
        ip netns exec "$ns" curl -s -o /dev/null --max-time 1 "$(haproxy_stats_url)"; do
        if past "$deadline"; then
            printf 'lab: error: haproxy stats page not answering within %ss\n' "$HAPROXY_START_TIMEOUT" >&2
            haproxy_log_tail
            exit 1
        fi
        sleep 0.1
    done
    printf '%s\n' "$pid"
}

plugin_cmd_haproxy_up() {
    local pid changed=0
    require_tool haproxy
    require_tool curl
    haproxy_config_write && changed=1
    if pid=$(haproxy_pid); then
        if ((changed)); then
            haproxy_state_save
            pid=$(haproxy_launch -sf "$pid")
            did "reloaded haproxy (pid $pid)"
        else
            log "haproxy-up: already up (pid $pid, nothing to do)"
        fi
        return 0
    fi
    rm -f "$(haproxy_state_file)" # states of an earlier run say nothing about now
    pid=$(haproxy_launch)
    haproxy_settle
    did "started haproxy in $(node_ns "$HAPROXY_NODE") (pid $pid, stats $(haproxy_stats_url))"
}

plugin_cmd_haproxy_reload() {
    local old pid
    require_tool haproxy
    haproxy_config_write || true
    old=$(haproxy_pid) || die "haproxy is not running (haproxy-up)"
    haproxy_state_save
    pid=$(haproxy_launch -sf "$old")
    did "reloaded haproxy (pid $old -> $pid)"
}

haproxy_stop() {
    local pid deadline
    if ! pid=$(haproxy_pid); then
        rm -f "$(haproxy_pidfile)"
        return 1
    fi
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    deadline=$(deadline_in "$HAPROXY_STOP_TIMEOUT")
    while pid_alive "$pid"; do
        if past "$deadline"; then
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$(deadline_in 2)
            while pid_alive "$pid" && ! past "$deadline"; do sleep 0.05; done
            break
        fi
        sleep 0.05
    done
    pid_alive "$pid" && die "haproxy (pid $pid) still running after SIGKILL"
    rm -f "$(haproxy_pidfile)"
    did "stopped haproxy (pid $pid)"
}

plugin_cmd_haproxy_stop() { haproxy_stop || log "haproxy is not running"; }

# BACKEND SERVER STATE [TRANSITION]: STATE is UP, DOWN, MAINT, DRAIN, NOLB or "no check" as one
# word (no-check); while a check streak runs HAProxy reports e.g. "UP 1/2": TRANSITION is "1/2".
plugin_cmd_haproxy_servers() {
    local want=${1:-} csv out
    haproxy_pid >/dev/null || die "haproxy is not running (haproxy-up)"
    csv=$(ip netns exec "$(node_ns "$HAPROXY_NODE")" curl -sf --max-time 2 "$(haproxy_stats_url)") ||
        die "no answer from $(haproxy_stats_url)"
    out=$(awk -F, -v want="$want" '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
        $2 == "FRONTEND" || $2 == "BACKEND" || $1 == "stats" { next }
        want != "" && $1 != want { next }
        { st = $col["status"]; sub(/^no check$/, "no-check", st); print $1, $2, st }' <<<"$csv")
    [[ -n $out ]] || die "no servers${want:+ in backend $want}"
    printf '%s\n' "$out"
}

plugin_status_haproxy() {
    local pid
    [[ -f $(haproxy_cfg) ]] || return 0
    if pid=$(haproxy_pid); then
        printf 'haproxy %-4s running (pid %s)\n' "$HAPROXY_NODE" "$pid"
    elif [[ -e $(haproxy_pidfile) ]]; then
        printf 'haproxy %-4s dead (stale pid %s)\n' "$HAPROXY_NODE" "$(<"$(haproxy_pidfile)")"
        return 1
    else
        printf 'haproxy %-4s stopped\n' "$HAPROXY_NODE"
    fi
}

# HAProxy runs in the client namespace, which `down` empties anyway; stopping it by its recorded
# PID here also covers one whose namespace is already gone.
plugin_down_haproxy() { haproxy_stop || true; }
