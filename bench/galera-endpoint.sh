#!/usr/bin/env bash
# /health/galera under load: wrk from the client namespace against ctl1's agent (a real three-node
# Galera cluster behind it), and how many SHOW STATUS statements the database ran meanwhile
# (Com_show_status: the agent's probes, which must not grow with the request rate). Also the
# agent-check answer time. Prints figures; asserts nothing.
#
# Anchor, measured in the same run: the clustercheck pattern (bench/anchor/clustercheck.sh, a shell
# and a mysql client forked per request) under xinetd in ctl1's namespace, same wrk settings.
# (The issue measured Percona's clustercheck at 121 req/s, p50 63 ms, p99 140 ms on this machine kind.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lab="$root/examples/three-controller/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$root/.build/release/hactl}
export LAB_PREFIX=${LAB_PREFIX:-bench-}
export RUN=${RUN:-/tmp/hactl-bench-galera}
export CONFIG=$RUN/cluster.yaml
duration=${DURATION:-10}
conns=${CONNECTIONS:-32 8}   # wrk at saturation (32), and below it (8): p99 differs
trap 'bash "$lab" down >/dev/null 2>&1 || true' EXIT

command -v wrk >/dev/null || { echo "wrk not installed (scripts/install-deps.sh bench)" >&2; exit 2; }
bash "$lab" down >/dev/null 2>&1 || true
rm -rf "$RUN"
mkdir -p "$RUN"
bash "$lab" up >/dev/null
bash "$lab" galera-up >/dev/null
cat >"$CONFIG" <<YAML
cluster: { name: bench, secret_file: cluster.key }
controllers:
  ctl1: { address: 198.18.0.11 }
  ctl2: { address: 198.18.0.12 }
  ctl3: { address: 198.18.0.13 }
galera: { user: hactl, password_file: galera.pass, interval: 1s, timeout: 2s }
YAML
bash "$lab" agents >/dev/null
ns=$(bash "$lab" ns client)
for _ in $(seq 1 50); do
  [[ $(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9780/health/galera) == 200 ]] && break
  sleep 0.2
done

show_status() { bash "$lab" galera-sql ctl1 "SHOW GLOBAL STATUS LIKE 'Com_show_status'" | awk '{print $2}'; }
before=$(show_status)
t0=$(date +%s.%N)
for c in $conns; do
  echo "GET /health/galera on ctl1, wrk -t2 -c$c -d${duration}s from the client namespace:"
  ip netns exec "$ns" wrk -t2 -c"$c" -d"${duration}s" --latency http://198.18.0.11:9780/health/galera | sed -n '3,4p;6,12p'
done
t1=$(date +%s.%N)
after=$(show_status)
# The second reading itself counts one statement.
awk -v b="$before" -v a="$after" -v t0="$t0" -v t1="$t1" 'BEGIN {
  d = a - b - 1; printf "Com_show_status delta on ctl1 during the run: %d in %.1fs (%.2f/s; the probe runs 1 per interval)\n", d, t1 - t0, d / (t1 - t0) }'

echo "ANCHOR: the clustercheck pattern under xinetd on ctl1:9200 (wrk -t2 -c8 -d${duration}s):"
anchor_dir=$RUN/ctl1/clustercheck
mkdir -p "$anchor_dir"
(umask 077 && printf '[client]\nuser=hactl\npassword=%s\n' "$(cat "$RUN/galera.pass")" >"$anchor_dir/my.cnf")
cat >"$anchor_dir/xinetd.conf" <<XINETD
defaults
{
    instances = UNLIMITED
    per_source = UNLIMITED
    cps = 100000 1
}
service clustercheck
{
    type = UNLISTED
    port = 9200
    bind = 198.18.0.11
    socket_type = stream
    protocol = tcp
    wait = no
    user = root
    server = $root/bench/anchor/clustercheck.sh
    server_args = $anchor_dir/my.cnf 198.18.0.11
    log_type = FILE /dev/null
}
XINETD
ip netns exec "$(bash "$lab" ns ctl1)" xinetd -dontfork -f "$anchor_dir/xinetd.conf" -pidfile "$anchor_dir/xinetd.pid" &
xinetd_pid=$!
for _ in $(seq 1 50); do
  [[ $(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9200/) == 200 ]] && break
  sleep 0.1
done
ip netns exec "$ns" wrk -t2 -c8 -d"${duration}s" --latency http://198.18.0.11:9200/ | sed -n '3,4p;6,12p'
kill "$xinetd_pid" 2>/dev/null; wait "$xinetd_pid" 2>/dev/null || true

echo "agent-check 'galera' answer time (1000 exchanges, one connection each):"
ip netns exec "$ns" python3 - <<'PY'
import socket, time
samples = []
for _ in range(1000):
    t = time.perf_counter()
    s = socket.create_connection(("198.18.0.11", 9781), timeout=2)
    s.sendall(b"galera\n")
    data = s.recv(100)
    s.close()
    samples.append((time.perf_counter() - t) * 1000)
samples.sort()
print("  answer %r; p50 %.3f ms, p99 %.3f ms, max %.3f ms" % (data.decode().strip(), samples[500], samples[990], samples[-1]))
PY
