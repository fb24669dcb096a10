# shellcheck shell=bash
# lab.sh plug-in: a three-node MariaDB Galera cluster, one mariadbd per controller namespace.
#
# Each controller N gets $RUN/N/galera/: my.cnf (the only config mariadbd reads), data/ (owned by
# mysql: the rsync SST daemon runs as mysql), mysqld.sock, mariadbd.pid, error.log, and `ctl`, a
# generated script that starts/stops/bootstraps/recovers that node's mariadbd in the CURRENT network
# namespace. The hactl agent runs `ctl` from inside its node namespace with its own environment, so
# `ctl` has every path baked in and never reads lab.sh's variables. lab.sh's galera-* commands run
# the same `ctl` (through `ip netns exec`), so the lab and the agent share one start/stop logic.
#
# Datadirs are copied from one mariadb-install-db run ($RUN/galera-template): a copy takes ~0.1 s,
# install-db ~4 s. Passwords live in $RUN/galera.pass (probe user hactl) and $RUN/app.pass (user
# app, database labdb); galera-reset deletes the datadirs but keeps both, and the template.

GALERA_PORT=3306
GALERA_CLUSTER_NAME=hactl-lab
GALERA_PROVIDER=/usr/lib/galera/libgalera_smm.so
GALERA_SYNC_TIMEOUT=60     # seconds, galera-up: all three Synced in a 3-node Primary component
GALERA_START_TIMEOUT=90    # seconds, ctl start: a joiner's SST runs before it accepts connections
GALERA_STOP_TIMEOUT=30     # seconds, ctl stop: SIGTERM, then SIGKILL
GALERA_QUERY_TIMEOUT=3     # seconds per status query (a SIGSTOPped server accepts but never answers)
GALERA_SQL_TIMEOUT=${GALERA_SQL_TIMEOUT:-30}   # seconds, galera-sql (outer deadline)

galera_dir() { printf '%s\n' "$RUN/$1/galera"; }
galera_template() { printf '%s\n' "$RUN/galera-template"; }

plugin_usage_galera() {
    cat <<EOF
  galera-up              MariaDB Galera on ctl1..ctl3 (\$RUN/N/galera), bootstrap if none runs, wait
                         until all are Synced (${GALERA_SYNC_TIMEOUT}s); users hactl, app; database labdb
  galera-start NODE [--new-cluster]
                         start NODE's mariadbd (\$RUN/NODE/galera/ctl start | bootstrap) in its namespace
  galera-stop NODE       SIGTERM NODE's mariadbd, SIGKILL after ${GALERA_STOP_TIMEOUT}s
  galera-signal NODE SIG send SIG to NODE's mariadbd (KILL, STOP, CONT: its process group; KILL waits)
  galera-recover NODE    mariadbd --wsrep-recover (NODE stopped): prints the 'Recovered position' line
  galera-sql NODE SQL    run SQL as root over NODE's socket (-N -B), exit with the client's status
  galera-status          per node: running|stopped pid state cluster size seqno (exit 1 unless all Synced)
  galera-reset           stop all three, delete \$RUN/N/galera (datadirs); keeps passwords and template
EOF
}

# ---------------------------------------------------------------------------------------------
# files

# galera_file_put PATH MODE OWNER: stdin becomes PATH if the content differs (then one did line).
galera_file_put() {
    if write_if_changed "$@"; then did "wrote $1"; fi
}

# A random password file (hex: never needs quoting in SQL), root-owned, mode 0600.
galera_secret() {
    local f=$1
    if [[ ! -s $f ]]; then
        (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$f")
        did "created $f (random, mode 0600)"
    fi
    chown root:root "$f"
    chmod 0600 "$f"
}

galera_mycnf() {
    local node=$1 dir addr all="" n
    dir=$(galera_dir "$node")
    addr=${LAN_ADDR[$node]}
    for n in "${CONTROLLERS[@]}"; do all+="${all:+,}${LAN_ADDR[$n]}"; done
    cat <<EOF
# Written by examples/three-controller/lab.d/galera.sh for $node; mariadbd reads only this file.
[mysqld]
user = mysql
datadir = $dir/data
socket = $dir/mysqld.sock
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
bind-address = $addr
port = $GALERA_PORT
skip-name-resolve

# Three servers share 2 cores and whatever else the lab runs: keep each small.
innodb_buffer_pool_size = 32M
innodb_log_file_size = 8M
innodb_log_buffer_size = 2M
innodb_flush_log_at_trx_commit = 2
performance_schema = OFF
key_buffer_size = 1M
aria_pagecache_buffer_size = 8M
max_connections = 64
thread_cache_size = 4
table_open_cache = 256
table_definition_cache = 256
query_cache_size = 0
query_cache_type = 0

wsrep_on = ON
wsrep_provider = $GALERA_PROVIDER
wsrep_provider_options = "gcache.size=32M"
wsrep_cluster_name = $GALERA_CLUSTER_NAME
wsrep_cluster_address = gcomm://$all
wsrep_node_address = $addr
wsrep_node_name = $node
wsrep_sst_method = rsync
wsrep_slave_threads = 1
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
EOF
}

# The per-node control script: a header with this node's values, then a fixed body.
galera_ctl_script() {
    local node=$1 dir
    dir=$(galera_dir "$node")
    printf '#!/usr/bin/env bash\n'
    printf '# Written by examples/three-controller/lab.d/galera.sh for %s. Controls this node'"'"'s mariadbd\n' "$node"
    printf '# in the CURRENT network namespace; every path is absolute (the hactl agent runs it).\n'
    printf '# usage: ctl start|bootstrap|stop|recover|pid   exit 0 ok, 1 failed, 2 usage\n'
    printf 'set -euo pipefail\n'
    printf 'NODE=%q\nDIR=%q\nSTART_TIMEOUT=%q\nSTOP_TIMEOUT=%q\nQUERY_TIMEOUT=%q\n' \
        "$node" "$dir" "$GALERA_START_TIMEOUT" "$GALERA_STOP_TIMEOUT" "$GALERA_QUERY_TIMEOUT"
    cat <<'EOF'
# mariadbd finds wsrep_sst_rsync, rsync and my_print_defaults on PATH; the caller's PATH may lack sbin.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CNF=$DIR/my.cnf
SOCK=$DIR/mysqld.sock
LOG=$DIR/error.log
PIDFILE=$DIR/ctl.pid        # the PID this script started (mariadbd.pid appears only later)
DATA=$DIR/data

say() { printf 'galera %s: %s\n' "$NODE" "$*"; }
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t))"; }
deadline_in() { printf '%s\n' "$(($(now_us) + $1 * 1000000))"; }
past() { (($(now_us) >= $1)); }
since() { local d=$(($(now_us) - $1)); printf '%d.%01d' "$((d / 1000000))" "$((d % 1000000 / 100000))"; }

# The error log since this script's latest start marker, last 30 lines, on stderr.
log_tail() {
    [[ -s $LOG ]] || { printf 'galera %s: (%s is empty)\n' "$NODE" "$LOG" >&2; return 0; }
    printf -- '--- %s (latest start) ---\n' "$LOG" >&2
    awk '/^=== .* ctl: /{n = 0} {buf[n++] = $0} END{for (i = (n > 30 ? n - 30 : 0); i < n; i++) print buf[i]}' "$LOG" >&2
    printf -- '---\n' >&2
}
fail() { printf 'galera %s: error: %s\n' "$NODE" "$*" >&2; exit 1; }

alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}
# Ours: alive, and its command line has --defaults-file=$CNF (a recycled PID does not).
ours() {
    [[ $1 =~ ^[0-9]+$ ]] && alive "$1" &&
        tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qxF -- "--defaults-file=$CNF"
}
server_pid() {
    local f p
    for f in "$PIDFILE" "$DIR/mariadbd.pid"; do
        [[ -r $f ]] || continue
        p=$(<"$f") || continue
        if ours "$p"; then printf '%s\n' "$p"; return 0; fi
    done
    return 1
}

# sql SQL: root over the socket (unix_socket auth), bounded: a frozen server accepts and never answers.
sql() {
    timeout -k 1 "$QUERY_TIMEOUT" mariadb --no-defaults --socket="$SOCK" --user=root \
        --connect-timeout="$QUERY_TIMEOUT" -N -B -e "$1" 2>/dev/null
}
status_var() { sql "SHOW GLOBAL STATUS LIKE '$1'" | awk '{print $2}'; }

# start_server [ARGS...]: mariadbd detached (setsid: its own session and process group; nohup, no
# tty, stdin /dev/null), then wait until it answers on its socket with wsrep_ready=ON.
start_server() {
    local pid t0 deadline pos
    if pid=$(server_pid); then return 0; fi
    [[ -r $CNF ]] || fail "$CNF missing (run lab.sh galera-up)"
    t0=$(now_us)
    deadline=$(deadline_in "$START_TIMEOUT")
    # After a crash grastate.dat says seqno -1: without its real position mariadbd would bootstrap a
    # new history (new UUID) or need a full SST instead of IST. Debian's unit does the same recovery.
    if grep -qx 'seqno: *-1' "$DATA/grastate.dat" 2>/dev/null; then
        pos=$(recover_line) || exit 1
        set -- "$@" "--wsrep-start-position=${pos##* }"
    fi
    printf '=== %s ctl: mariadbd %s\n' "$(date -Is)" "$*" >>"$LOG"
    # The subshell execs setsid, which execs (it is no group leader) nohup, then mariadbd: $! is its PID.
    (cd "$DIR" && exec setsid nohup mariadbd --defaults-file="$CNF" "$@" </dev/null >>"$LOG" 2>&1) &
    pid=$!
    printf '%s\n' "$pid" >"$PIDFILE"
    until [[ $(status_var wsrep_ready) == ON ]]; do
        if ! alive "$pid"; then
            rm -f "$PIDFILE"
            printf 'galera %s: error: mariadbd exited during start\n' "$NODE" >&2
            log_tail
            exit 1
        fi
        if past "$deadline"; then
            printf 'galera %s: error: mariadbd (pid %s) not ready (wsrep_ready=ON) within %ss; left running\n' \
                "$NODE" "$pid" "$START_TIMEOUT" >&2
            log_tail
            exit 1
        fi
        sleep 0.3
    done
    say "started mariadbd${1:+ $1} (pid $pid, ready in $(since "$t0")s)"
}

cmd_start() { start_server; }

# A stopped node: mark it safe to bootstrap (Galera refuses otherwise after an unclean stop) and
# start a new cluster. A running node outside a Primary component: pc.bootstrap=YES makes its
# component Primary without a restart.
cmd_bootstrap() {
    local pid state deadline
    if pid=$(server_pid); then
        state=$(status_var wsrep_cluster_status)
        [[ $state == Primary ]] && return 0
        sql "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'" ||
            fail "running (pid $pid, cluster status '${state:-no answer}') and pc.bootstrap=YES failed"
        deadline=$(deadline_in 10)
        until [[ $(status_var wsrep_cluster_status) == Primary ]]; do
            past "$deadline" && fail "pc.bootstrap=YES: not Primary within 10s (pid $pid)"
            sleep 0.2
        done
        say "bootstrapped running mariadbd (pid $pid, pc.bootstrap=YES; was ${state:-no answer})"
        return 0
    fi
    if [[ -f $DATA/grastate.dat ]]; then
        sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$DATA/grastate.dat"
        chown mysql:mysql "$DATA/grastate.dat"
    fi
    start_server --wsrep-new-cluster
}

cmd_stop() {
    local pid t0 deadline sig=TERM p
    pid=$(server_pid) || { rm -f "$PIDFILE"; return 0; }
    t0=$(now_us)
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # a frozen server acts on TERM only once continued
    deadline=$(deadline_in "$STOP_TIMEOUT")
    while alive "$pid"; do
        if past "$deadline"; then
            sig=KILL
            # setsid made it a group leader: the group also holds any SST script or rsync daemon.
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            deadline=$(deadline_in 5)
            while alive "$pid"; do
                past "$deadline" && fail "mariadbd (pid $pid) still alive 5s after SIGKILL"
                sleep 0.1
            done
            break
        fi
        sleep 0.1
    done
    rm -f "$PIDFILE"
    say "stopped mariadbd (pid $pid, SIG$sig, $(since "$t0")s)"
}

# recover_line: mariadbd --wsrep-recover (InnoDB recovery, then exit) prints its "Recovered position"
# line; on failure the tail of its log goes to stderr. Only on a stopped node.
recover_line() {
    local tmp line rc=0
    tmp=$(mktemp "$DIR/recover.XXXXXX.log")
    chown mysql:mysql "$tmp"
    timeout -k 5 "$START_TIMEOUT" mariadbd --defaults-file="$CNF" --wsrep-recover --log-error="$tmp" \
        </dev/null >>"$tmp" 2>&1 || rc=$?
    line=$(grep -m1 'WSREP: Recovered position: ' "$tmp" || true)
    if [[ -z $line ]]; then
        printf 'galera %s: error: no "Recovered position" from mariadbd --wsrep-recover (exit %s)\n' "$NODE" "$rc" >&2
        tail -n 30 "$tmp" >&2
        rm -f "$tmp"
        return 1
    fi
    rm -f "$tmp"
    printf '%s\n' "$line"
}

cmd_recover() {
    local pid
    if pid=$(server_pid); then fail "mariadbd is running (pid $pid): stop it before recover"; fi
    recover_line
}

case ${1:-} in
    start) cmd_start ;;
    bootstrap) cmd_bootstrap ;;
    stop) cmd_stop ;;
    recover) cmd_recover ;;
    pid) server_pid ;;
    *)
        printf 'usage: %s start|bootstrap|stop|recover|pid\n' "$0" >&2
        exit 2
        ;;
esac
EOF
}

# ---------------------------------------------------------------------------------------------
# per-node helpers on the lab side

galera_ctl() { printf '%s\n' "$(galera_dir "$1")/ctl"; }

galera_require_ctl() {
    [[ -x $(galera_ctl "$1") ]] || die "$(galera_ctl "$1") missing: run '$0 galera-up' first"
}

# galera_run NODE ARGS...: NODE's ctl inside NODE's namespace (stop works without it: signals only).
galera_run() {
    local node=$1 ns
    shift
    ns=$(node_ns "$node")
    if ns_exists "$ns"; then
        ip netns exec "$ns" "$(galera_ctl "$node")" "$@"
    elif [[ $1 == stop || $1 == pid ]]; then
        "$(galera_ctl "$node")" "$@"
    else
        die "namespace $ns does not exist: run '$0 up' first"
    fi
}

galera_pid() {
    [[ -x $(galera_ctl "$1") ]] || return 1
    "$(galera_ctl "$1")" pid
}

# galera_query NODE SQL: root over NODE's socket, -N -B, bounded by GALERA_QUERY_TIMEOUT. The SQL
# goes in on stdin, so passwords in it never show in ps.
galera_query() {
    timeout -k 1 "$GALERA_QUERY_TIMEOUT" mariadb --no-defaults --socket="$(galera_dir "$1")/mysqld.sock" \
        --user=root --connect-timeout="$GALERA_QUERY_TIMEOUT" -N -B 2>/dev/null <<<"$2"
}

# "state cluster size seqno" of NODE, or nothing when it does not answer in time.
galera_wsrep() {
    galera_query "$1" "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment',
        'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_last_committed')" |
        awk '{v[$1] = $2} END{if (NR) printf "%s %s %s %s\n", v["wsrep_local_state_comment"],
            v["wsrep_cluster_status"], v["wsrep_cluster_size"], v["wsrep_last_committed"]}' || true
}

galera_error_tail() {
    local log
    log=$(galera_dir "$1")/error.log
    printf -- '--- %s (last 30 lines) ---\n' "$log" >&2
    tail -n 30 "$log" >&2 2>/dev/null || true
    printf -- '---\n' >&2
}

# Runs `ctl ARGS` for NODE and turns its one-line report into a did line; errors pass through.
galera_ctl_did() {
    local node=$1 out
    shift
    out=$(galera_run "$node" "$@") || return 1
    [[ -z $out ]] || did "$out"
}

# ---------------------------------------------------------------------------------------------
# galera-up

galera_template_create() {
    local t tmp
    t=$(galera_template)
    [[ -d $t/mysql ]] && return 0
    require_tool mariadb-install-db
    tmp=$t.tmp
    rm -rf -- "$tmp"
    mkdir -p "$tmp"
    chown mysql:mysql "$tmp"
    # Same InnoDB log size as my.cnf, so the copies start without resizing the redo log.
    if ! mariadb-install-db --no-defaults --user=mysql --datadir="$tmp" --auth-root-authentication-method=socket \
        --skip-test-db --innodb-log-file-size=8M --innodb-buffer-pool-size=32M \
        --innodb-flush-log-at-trx-commit=2 >"$RUN/galera-template.log" 2>&1; then
        tail -n 30 "$RUN/galera-template.log" >&2
        die "mariadb-install-db failed (log $RUN/galera-template.log)"
    fi
    mv -- "$tmp" "$t"
    did "created datadir template $t (mariadb-install-db)"
}

galera_node_files() {
    local node=$1 dir
    dir=$(galera_dir "$node")
    if [[ ! -d $dir ]]; then
        mkdir -p "$dir"
        did "created $dir"
    fi
    # mariadbd (as mysql) writes its socket, pid file and error log here.
    chown mysql:mysql "$dir"
    chmod 0755 "$dir"
    # Process substitution, not a pipe: galera_file_put must run in this shell to count its change.
    galera_file_put "$dir/my.cnf" 0644 root:root < <(galera_mycnf "$node")
    galera_file_put "$dir/ctl" 0755 root:root < <(galera_ctl_script "$node")
    [[ -e $dir/error.log ]] || install -o mysql -g mysql -m 0640 /dev/null "$dir/error.log"
    if [[ ! -d $dir/data ]]; then
        cp -a -- "$(galera_template)" "$dir/data.tmp"
        mv -- "$dir/data.tmp" "$dir/data"
        did "created $dir/data (copy of the template)"
    fi
}

# The node galera-up bootstraps when none runs: the highest seqno, from grastate.dat (valid after a
# clean stop) or, after a crash (seqno -1), from `ctl recover`; ties and fresh datadirs: the first.
galera_bootstrap_candidate() {
    local n best=${CONTROLLERS[0]} best_seqno=-1 s
    for n in "${CONTROLLERS[@]}"; do
        s=$(sed -n 's/^seqno:[[:space:]]*\(-\{0,1\}[0-9][0-9]*\).*/\1/p' "$(galera_dir "$n")/data/grastate.dat" 2>/dev/null || true)
        [[ -n $s ]] || continue
        if ((s < 0)); then
            s=$(galera_run "$n" recover | sed -n 's/.*Recovered position: .*:\(-\{0,1\}[0-9][0-9]*\)$/\1/p') || s=-1
            [[ -n $s ]] || s=-1
        fi
        if ((s > best_seqno)); then best=$n best_seqno=$s; fi
    done
    printf '%s\n' "$best"
}

# One joiner at a time: two joining at once wait ~6 s for their views to merge, so in parallel
# the three come up no sooner (measured: ~10 s either way) and the logs interleave.
galera_start_nodes() {
    local n
    for n in "$@"; do galera_ctl_did "$n" start || exit 1; done
}

galera_wait_synced() {
    local deadline n w ok
    deadline=$(deadline_in "$GALERA_SYNC_TIMEOUT")
    while :; do
        ok=1
        for n in "${CONTROLLERS[@]}"; do
            w=$(galera_wsrep "$n")
            [[ $w == "Synced Primary ${#CONTROLLERS[@]} "* ]] || { ok=0; break; }
        done
        ((ok)) && return 0
        if past "$deadline"; then
            printf 'lab: error: galera not Synced within %ss:\n' "$GALERA_SYNC_TIMEOUT" >&2
            galera_status_lines >&2 || true
            galera_error_tail "$n"
            exit 1
        fi
        sleep 0.3
    done
}

# Users and schema, through one (Synced) node: DDL and account changes replicate. Checked first so
# a second galera-up changes nothing; a password file that changed is applied with ALTER USER.
galera_schema() {
    local node=$1 gpass apass have
    gpass=$(<"$RUN/galera.pass")
    apass=$(<"$RUN/app.pass")
    have=$(galera_query "$node" "SELECT
        (SELECT COUNT(*) FROM mysql.user WHERE user='hactl' AND host='%' AND authentication_string=PASSWORD('$gpass')),
        (SELECT COUNT(*) FROM mysql.user WHERE user='app' AND host='%' AND authentication_string=PASSWORD('$apass')),
        (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='labdb' AND table_name='writes'),
        (SELECT COUNT(*) FROM information_schema.schema_privileges WHERE grantee=\"'app'@'%'\" AND table_schema='labdb')") ||
        die "galera $node: schema check failed"
    [[ $(tr -s '\t ' ' ' <<<"$have") == "1 1 1 "[1-9]* ]] && return 0
    galera_query "$node" "
        CREATE USER IF NOT EXISTS 'hactl'@'%' IDENTIFIED BY '$gpass';
        ALTER USER 'hactl'@'%' IDENTIFIED BY '$gpass';
        CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY '$apass';
        ALTER USER 'app'@'%' IDENTIFIED BY '$apass';
        CREATE DATABASE IF NOT EXISTS labdb;
        CREATE TABLE IF NOT EXISTS labdb.writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(64),
            at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6));
        GRANT ALL ON labdb.* TO 'app'@'%';" || die "galera $node: creating users and labdb failed"
    did "galera $node: users hactl (USAGE), app (ALL on labdb), table labdb.writes"
}

plugin_cmd_galera_up() {
    local n running=() stopped=() boot pid
    require_tool mariadbd
    require_tool rsync
    [[ -r $GALERA_PROVIDER ]] || die_usage "error: $GALERA_PROVIDER not found: install galera-4"
    for n in "${CONTROLLERS[@]}"; do
        ns_exists "$(node_ns "$n")" || die "namespace $(node_ns "$n") does not exist: run '$0 up' first"
    done
    run_dir_create
    galera_secret "$RUN/galera.pass"
    galera_secret "$RUN/app.pass"
    galera_template_create
    for n in "${CONTROLLERS[@]}"; do
        galera_node_files "$n"
        if pid=$(galera_pid "$n"); then running+=("$n"); else stopped+=("$n"); fi
    done
    if ((${#running[@]} == 0)); then
        boot=$(galera_bootstrap_candidate)
        galera_ctl_did "$boot" bootstrap || exit 1
        running=("$boot")
        stopped=()
        for n in "${CONTROLLERS[@]}"; do [[ $n == "$boot" ]] || stopped+=("$n"); done
    fi
    ((${#stopped[@]} == 0)) || galera_start_nodes "${stopped[@]}"
    galera_wait_synced
    galera_schema "${running[0]}"
    if ((CHANGES == 0)); then
        log "galera-up: already up (nothing to do)"
    else
        log "galera-up: done ($CHANGES change(s))"
    fi
}

# ---------------------------------------------------------------------------------------------
# per-node commands

plugin_cmd_galera_start() {
    require_controller "${1:-}"
    galera_require_ctl "$1"
    case ${2:-} in
        "") galera_ctl_did "$1" start || exit 1 ;;
        --new-cluster) galera_ctl_did "$1" bootstrap || exit 1 ;;
        *) die_usage "usage: $0 galera-start NODE [--new-cluster]" ;;
    esac
    ((CHANGES > 0)) || log "galera $1: already running (pid $(galera_pid "$1"))"
}

plugin_cmd_galera_stop() {
    require_controller "${1:-}"
    galera_require_ctl "$1"
    galera_ctl_did "$1" stop || exit 1
    ((CHANGES > 0)) || log "galera $1: not running"
}

# KILL, STOP and CONT go to the process group (setsid made mariadbd its leader), so a "power loss"
# or a freeze also reaches an SST script or rsync daemon it started.
plugin_cmd_galera_signal() {
    local node=${1:-} sig=${2:-} pid target deadline
    require_controller "$node"
    [[ -n $sig ]] || die_usage "usage: $0 galera-signal NODE SIG"
    sig=$(signal_name "$sig")
    galera_require_ctl "$node"
    if ! pid=$(galera_pid "$node"); then
        log "galera $node: not running"
        return 0
    fi
    target=$pid
    case $sig in
        KILL | STOP | CONT)
            [[ $(awk '{print $5}' "/proc/$pid/stat" 2>/dev/null) == "$pid" ]] && target=-$pid
            ;;
    esac
    kill -s "$sig" -- "$target"
    did "galera $node: sent SIG$sig to mariadbd (${target/#-/process group })"
    case $sig in
        KILL) deadline=$(deadline_in 5) ;;
        TERM | INT | QUIT)
            kill -CONT "$pid" 2>/dev/null || true
            deadline=$(deadline_in "$GALERA_STOP_TIMEOUT")
            ;;
        *) return 0 ;;
    esac
    while pid_alive "$pid"; do
        past "$deadline" && die "galera $node: mariadbd (pid $pid) still running after SIG$sig"
        sleep 0.05
    done
    log "galera $node: mariadbd exited"
}

plugin_cmd_galera_recover() {
    require_controller "${1:-}"
    galera_require_ctl "$1"
    galera_run "$1" recover
}

plugin_cmd_galera_sql() {
    local node=${1:-}
    require_controller "$node"
    [[ $# -eq 2 ]] || die_usage "usage: $0 galera-sql NODE SQL"
    galera_require_ctl "$node"
    # The connect timeout fails fast on a stopped server; the outer deadline covers a frozen one.
    exec timeout -k 1 "$GALERA_SQL_TIMEOUT" mariadb --no-defaults --socket="$(galera_dir "$node")/mysqld.sock" \
        --user=root --connect-timeout=2 -N -B -e "$2"
}

# One line per controller: NODE running|stopped pid=PID state=... cluster=... size=... seqno=...
# ("-" when stopped, "noanswer" when running but silent within GALERA_QUERY_TIMEOUT).
# Returns 0 only if all are running, Synced, Primary, with the full cluster size.
galera_status_lines() {
    local n pid w rc=0 state cluster size seqno
    for n in "${CONTROLLERS[@]}"; do
        if ! pid=$(galera_pid "$n"); then
            printf 'galera %-4s stopped pid=- state=- cluster=- size=- seqno=-\n' "$n"
            rc=1
            continue
        fi
        w=$(galera_wsrep "$n")
        if [[ -z $w ]]; then
            printf 'galera %-4s running pid=%s state=noanswer cluster=- size=- seqno=-\n' "$n" "$pid"
            rc=1
            continue
        fi
        read -r state cluster size seqno <<<"$w"
        printf 'galera %-4s running pid=%s state=%s cluster=%s size=%s seqno=%s\n' \
            "$n" "$pid" "$state" "$cluster" "$size" "$seqno"
        [[ $state == Synced && $cluster == Primary && $size == "${#CONTROLLERS[@]}" ]] || rc=1
    done
    return "$rc"
}

plugin_cmd_galera_status() { galera_status_lines; }

plugin_cmd_galera_reset() {
    local n dir
    for n in "${CONTROLLERS[@]}"; do
        [[ -x $(galera_ctl "$n") ]] || continue
        galera_ctl_did "$n" stop || die "galera-reset: could not stop $n (datadirs kept)"
    done
    for n in "${CONTROLLERS[@]}"; do
        dir=$(galera_dir "$n")
        if [[ -e $dir ]]; then
            rm -rf -- "$dir"
            did "removed $dir"
        fi
    done
    ((CHANGES > 0)) || log "galera-reset: nothing to do"
}

# ---------------------------------------------------------------------------------------------
# hooks

galera_any_dir() {
    local n
    for n in "${CONTROLLERS[@]}"; do [[ -d $(galera_dir "$n") ]] && return 0; done
    return 1
}

plugin_status_galera() {
    galera_any_dir || return 0
    galera_status_lines
}

# `down` would SIGTERM every namespace process and SIGKILL after NS_KILL_TIMEOUT s; a clean stop
# (last node ctl1, so it is safe to bootstrap next time) leaves datadirs that start without recovery.
# ctl stop works by recorded PID, so a server whose namespace is already gone is stopped too.
plugin_down_galera() {
    local i n pid
    # A frozen member stalls the others' leave for evs.suspect_timeout (5 s each): thaw all first.
    for n in "${CONTROLLERS[@]}"; do
        if pid=$(galera_pid "$n"); then kill -CONT -- "-$pid" 2>/dev/null || kill -CONT "$pid" 2>/dev/null || true; fi
    done
    for ((i = ${#CONTROLLERS[@]} - 1; i >= 0; i--)); do
        n=${CONTROLLERS[$i]}
        [[ -x $(galera_ctl "$n") ]] || continue
        galera_ctl_did "$n" stop || true
    done
}
