#!/usr/bin/env bash
# `make demo`: the three-controller lab end to end. Builds the lab, starts three agents, shows the
# cluster, drains and resumes ctl2 (HAProxy's agent-check answer changes), and tears everything down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab="$here/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$(cd "$here/../.." && pwd)/.build/debug/hactl}
export RUN=${RUN:-$here/.run}
config="$here/cluster.yaml"

teardown() { bash "$lab" down >/dev/null 2>&1 || true; }
trap teardown EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
hactl() { ip netns exec client "$HACTL_BIN" "$@" --config "$config"; }
agent_check() { # NODE_ADDRESS SERVICE: one HAProxy agent-check exchange from the client namespace
  ip netns exec client bash -c "exec 3<>/dev/tcp/$1/9781; printf '%s\n' '$2' >&3; timeout 3 cat <&3"
}
health_node() { ip netns exec client curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$1:9780/health/node"; }

step "lab up: namespaces ctl1..ctl3 + client on one bridge (198.18.0.0/24)"
bash "$lab" down >/dev/null 2>&1 || true
bash "$lab" up

step "config check (the lab made the cluster secret)"
"$HACTL_BIN" config check "$config"

step "three agents"
bash "$lab" agents

step "hactl status (from the client namespace)"
for _ in $(seq 1 30); do hactl status >/dev/null 2>&1 && break; sleep 0.2; done
hactl status

step "drain ctl2"
echo "agent-check ctl2 'node' before: $(agent_check 198.18.0.12 node)"
hactl node drain ctl2
echo "agent-check ctl2 'node' after:  $(agent_check 198.18.0.12 node)"
echo "GET /health/node on ctl2:       $(health_node 198.18.0.12)"
set +e; hactl status; rc=$?; set -e
echo "hactl status exit code: $rc (3 = degraded: ctl2 is drained)"
[ "$rc" = 3 ] || { echo "expected exit 3 while ctl2 is drained" >&2; exit 1; }

step "resume ctl2"
hactl node resume ctl2
echo "agent-check ctl2 'node': $(agent_check 198.18.0.12 node)"
echo "GET /health/node on ctl2: $(health_node 198.18.0.12)"
hactl status

step "tear down"
trap - EXIT
bash "$lab" down
echo "demo finished: nothing left running"
