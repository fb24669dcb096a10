#!/usr/bin/env bash
# /health/rabbitmq under load and what a probe costs: wrk from the client namespace against ctl1's
# agent (a real three-node RabbitMQ 3.10 cluster behind it); then the agent's CPU time (user+sys
# from /proc) over an idle minute divided by the probes it ran, with and without the rest of the
# agent's work (an agent without the rabbitmq section is measured the same way). Prints figures;
# asserts nothing.
#
# Anchors, measured in the same run: `rabbitmq-diagnostics check_running` (wall and CPU per call,
# forked from ctl1's namespace) and the management API's own alarms check under the same wrk
# settings (all of it load on the broker). (The issue measured 0.47 s and ~0.65 CPU-s per call, and
# 9.6k req/s, on this machine kind.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lab="$root/examples/three-controller/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$root/.build/release/hactl}
export LAB_PREFIX=${LAB_PREFIX:-bench-}
export RUN=${RUN:-/tmp/hactl-bench-rabbitmq}
export CONFIG=$RUN/cluster.yaml
duration=${DURATION:-10}
conns=${CONNECTIONS:-32 8}   # wrk at saturation (32), and below it (8): p99 differs
idle=${IDLE_SECONDS:-60}
trap 'bash "$lab" down >/dev/null 2>&1 || true' EXIT

command -v wrk >/dev/null || { echo "wrk not installed (scripts/install-deps.sh bench)" >&2; exit 2; }
bash "$lab" down >/dev/null 2>&1 || true
rm -rf "$RUN"
mkdir -p "$RUN"
bash "$lab" up >/dev/null
bash "$lab" rabbitmq-up >/dev/null
write_config() { # with or without the rabbitmq section
  cat >"$CONFIG" <<YAML
cluster: { name: bench, secret_file: cluster.key }
controllers:
  ctl1: { address: 198.18.0.11 }
  ctl2: { address: 198.18.0.12 }
  ctl3: { address: 198.18.0.13 }
YAML
  if [[ $1 == with ]]; then
    cat >>"$CONFIG" <<YAML
rabbitmq:
  amqp: { port: 5672, user: hactl, password_file: rabbit.pass, vhost: / }
  management: { port: 15672 }
  interval: 1s
  timeout: 2s
YAML
  fi
}
ns=$(bash "$lab" ns client)
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# CPU ticks of ctl1's agent over IDLE_SECONDS, and the probes it ran (from /metrics, else seconds).
idle_cpu() {
  local pid t0 t1 c0 c1
  pid=$(cat "$RUN/ctl1/agent.pid")
  sleep 3
  c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  sleep "$idle"
  c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
  awk -v c="$((c1 - c0))" -v tck="$tck" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f %.1f\n", c / tck, t1 - t0 }'
}

write_config without
bash "$lab" agents >/dev/null
read -r base_cpu base_wall < <(idle_cpu)
for n in ctl1 ctl2 ctl3; do bash "$lab" stop-agent "$n" >/dev/null; done

write_config with
bash "$lab" agents >/dev/null
for _ in $(seq 1 50); do
  [[ $(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9780/health/rabbitmq) == 200 ]] && break
  sleep 0.2
done
read -r mq_cpu mq_wall < <(idle_cpu)
echo "CPU per probe (ctl1's agent, user+sys over ${idle}s idle, 1 probe per second):"
awk -v b="$base_cpu" -v bw="$base_wall" -v m="$mq_cpu" -v mw="$mq_wall" 'BEGIN {
  printf "  agent without rabbitmq: %.3f CPU-s in %.1fs; with rabbitmq: %.3f CPU-s in %.1fs\n", b, bw, m, mw
  printf "  => %.2f ms CPU per probe (the difference over %.0f probes), %.2f ms if all of it is counted\n", 1000 * (m - b * mw / bw) / mw, mw, 1000 * m / mw }'
report=$(ip netns exec "$ns" curl -s http://198.18.0.11:9780/v1/rabbitmq)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); s=r.get("rabbitmq") or {}; print("  last probe: %.2f ms wall, round trip %.3f ms (AMQP worker thread CPU %.3f ms)" % (r.get("probe_ms") or 0, s.get("round_trip_ms") or 0, r.get("round_trip_cpu_ms") or 0))' "$report"

for c in $conns; do
  echo "GET /health/rabbitmq on ctl1, wrk -t2 -c$c -d${duration}s from the client namespace:"
  ip netns exec "$ns" wrk -t2 -c"$c" -d"${duration}s" --latency http://198.18.0.11:9780/health/rabbitmq | sed -n '3,4p;6,12p'
done

echo "ANCHOR: rabbitmq-diagnostics check_running against rabbit@ctl1, 5 calls (wall, user+sys CPU of the call):"
TIMEFORMAT='%R %U %S'
for _ in 1 2 3 4 5; do
  { time bash "$lab" rabbitmq-diagnostics ctl1 -q check_running >/dev/null 2>&1; } 2>&1
done | awk '{ w += $1; c += $2 + $3; printf "  %.2f s wall, %.2f CPU-s\n", $1, $2 + $3 } END { printf "  mean %.2f s wall, %.2f CPU-s per call\n", w / NR, c / NR }'

auth=$(printf 'hactl:%s' "$(cat "$RUN/rabbit.pass")" | base64 -w0)
for c in $conns; do
  echo "ANCHOR: the management API's alarms check on ctl1, wrk -t2 -c$c -d${duration}s:"
  ip netns exec "$ns" wrk -t2 -c"$c" -d"${duration}s" --latency -H "Authorization: Basic $auth" \
    http://198.18.0.11:15672/api/health/checks/alarms | sed -n '3,4p;6,12p'
done
