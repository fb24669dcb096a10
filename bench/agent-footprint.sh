#!/usr/bin/env bash
# Agent footprint: RSS and idle CPU of three agents in the lab over IDLE_SECONDS (default 60),
# then /health/node under wrk from the client namespace. Prints figures; asserts nothing.
# The agents run the VIP module only, with a config of the bench's own in $RUN (the example's
# cluster.yaml also needs the Galera and RabbitMQ password files that galera-up/rabbitmq-up make).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lab="$root/examples/three-controller/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$root/.build/release/hactl}
export RUN=${RUN:-/tmp/hactl-bench-footprint}
export CONFIG=$RUN/cluster.yaml
export LAB_PREFIX=${LAB_PREFIX:-bench-}
idle=${IDLE_SECONDS:-60}
trap 'bash "$lab" down >/dev/null 2>&1 || true' EXIT

bash "$lab" down >/dev/null 2>&1 || true
mkdir -p "$RUN"
cat >"$CONFIG" <<EOF
cluster:
  name: bench-footprint
  secret_file: $RUN/cluster.key
controllers:
  ctl1: { address: 198.18.0.11 }
  ctl2: { address: 198.18.0.12 }
  ctl3: { address: 198.18.0.13 }
vips:
  - name: public
    vrid: 51
    interface: eth0
    addresses: [198.18.0.10/24]
    priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }
EOF
bash "$lab" up >/dev/null
bash "$lab" agents >/dev/null
sleep 3   # let checks settle

tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A start
for n in ctl1 ctl2 ctl3; do p=$(cat "$RUN/$n/agent.pid"); start[$n]=$(cpu "$p"); done
t0=$(date +%s.%N)
sleep "$idle"
t1=$(date +%s.%N)
echo "agent footprint over ${idle}s idle (binary: $HACTL_BIN)"
for n in ctl1 ctl2 ctl3; do
  p=$(cat "$RUN/$n/agent.pid")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status")
  used=$(( $(cpu "$p") - ${start[$n]} ))
  awk -v n="$n" -v rss="$rss" -v used="$used" -v tck="$tck" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "  %s: RSS %.1f MB, idle CPU %.3f%% (%d ticks in %.1fs)\n", n, rss/1024, 100*used/tck/(t1-t0), used, t1-t0 }'
done

if command -v wrk >/dev/null; then
  echo "GET /health/node on ctl1, wrk -t2 -c32 -d10s from the client namespace:"
  ip netns exec "${LAB_PREFIX}client" wrk -t2 -c32 -d10s --latency http://198.18.0.11:9780/health/node | sed -n '1,20p'
fi
