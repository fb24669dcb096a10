#!/usr/bin/env bash
# `make demo`: the three-controller lab end to end. Builds the lab with a three-node Galera cluster,
# a three-node RabbitMQ cluster and HAProxy, starts three agents, shows the cluster, moves the
# Galera writer by stopping the writer's mariadbd while writes go on through HAProxy, stops one
# RabbitMQ app, drains and resumes ctl2, and tears everything down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab="$here/lab.sh"
export HACTL_BIN=${HACTL_BIN:-$(cd "$here/../.." && pwd)/.build/debug/hactl}
export RUN=$here/.run   # cluster.yaml names files under .run/
config="$here/cluster.yaml"

teardown() { bash "$lab" down >/dev/null 2>&1 || true; }
trap teardown EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
hactl() { ip netns exec client "$HACTL_BIN" "$@" --config "$config"; }
agent_check() { # NODE_ADDRESS SERVICE: one HAProxy agent-check exchange from the client namespace
  ip netns exec client bash -c "exec 3<>/dev/tcp/$1/9781; printf '%s\n' '$2' >&3; timeout 3 cat <&3"
}
health() { ip netns exec client curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$1:9780$2"; }
writer_of() { # the node whose /health/galera/writer answers 200
  local n a
  for n in 1 2 3; do a=198.18.0.1$n; [[ $(health "$a" /health/galera/writer) == 200 ]] && { echo "ctl$n"; return; }; done
  echo none
}
wait_for() { # SECONDS CMD...: poll until CMD succeeds
  local t=$1; shift
  for _ in $(seq 1 $((t * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
write_row() { # one INSERT through HAProxy's writer frontend (198.18.0.100:3306) as user app
  ip netns exec client mariadb -h 198.18.0.100 -P 3306 -u app --password="$(cat "$RUN/app.pass")" \
    --connect-timeout=2 labdb -e "INSERT INTO writes (node) VALUES ('$1')" 2>/dev/null
}
served_by() { # which node HAProxy's writer frontend reaches
  ip netns exec client mariadb -h 198.18.0.100 -P 3306 -u app --password="$(cat "$RUN/app.pass")" \
    --connect-timeout=2 -N -B -e "SELECT @@wsrep_node_name" 2>/dev/null
}

step "lab up: namespaces ctl1..ctl3 + client on one bridge (198.18.0.0/24)"
bash "$lab" down >/dev/null 2>&1 || true
bash "$lab" up

step "Galera: one mariadbd per controller (MariaDB 10.11 + galera-4, rsync SST)"
bash "$lab" galera-up
bash "$lab" galera-status

step "RabbitMQ: one broker per controller (3.10, rabbit@ctlN, pause_minority)"
bash "$lab" rabbitmq-up

step "config check (the lab made the cluster secret and the Galera and RabbitMQ passwords)"
"$HACTL_BIN" config check "$config"

step "three agents, HAProxy in the client namespace (writer :3306 -> /health/galera/writer, readers :3307)"
bash "$lab" agents
bash "$lab" haproxy-up

step "hactl status and hactl galera status (from the client namespace)"
wait_for 30 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9780/health/galera/writer) == 200 ]]"
wait_for 15 hactl status >/dev/null 2>&1 || true
hactl status
hactl galera status
wait_for 10 write_row demo-start
echo "HAProxy writer frontend reaches: $(served_by)"

step "stop the writer's mariadbd (ctl1) while a client writes through HAProxy"
ok=0; failed=0
bash "$lab" galera-stop ctl1
for i in $(seq 1 40); do
  if write_row "during-$i"; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
  sleep 0.1
done
echo "writes during the move: $ok committed, $failed refused (the client retries)"
wait_for 10 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.12:9780/health/galera/writer) == 200 ]]"
echo "designated writer now: $(writer_of); HAProxy writer frontend reaches: $(served_by)"
set +e; hactl galera status; set -e

step "ctl1's mariadbd back: it rejoins; the writer returns only after the 10 s hold-down"
bash "$lab" galera-start ctl1
wait_for 20 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9780/health/galera) == 200 ]]"
echo "designated writer right after the rejoin: $(writer_of)"
wait_for 20 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.11:9780/health/galera/writer) == 200 ]]"
echo "designated writer after the hold-down: $(writer_of)"
echo "rows on ctl3: $(bash "$lab" galera-sql ctl3 'SELECT COUNT(*) FROM labdb.writes')"

step "RabbitMQ: every broker proves a publish/consume round trip; stop ctl2's app"
wait_for 20 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.12:9780/health/rabbitmq) == 200 ]]"
hactl rabbitmq status
bash "$lab" rabbitmq-stop-app ctl2
wait_for 10 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.12:9780/health/rabbitmq) == 503 ]]"
echo "GET /health/rabbitmq on ctl2: $(health 198.18.0.12 /health/rabbitmq) $(ip netns exec client curl -s http://198.18.0.12:9780/health/rabbitmq)"
echo "agent-check ctl2 'rabbitmq': $(agent_check 198.18.0.12 rabbitmq)"
bash "$lab" rabbitmq-start-app ctl2
wait_for 20 bash -c "[[ \$(ip netns exec client curl -s -o /dev/null -w '%{http_code}' http://198.18.0.12:9780/health/rabbitmq) == 200 ]]"
echo "after start_app: GET /health/rabbitmq on ctl2: $(health 198.18.0.12 /health/rabbitmq)"

step "drain ctl2"
echo "agent-check ctl2 'node' before: $(agent_check 198.18.0.12 node)"
hactl node drain ctl2
echo "agent-check ctl2 'node' after:  $(agent_check 198.18.0.12 node)"
echo "GET /health/node on ctl2:       $(health 198.18.0.12 /health/node)"
set +e; hactl status; rc=$?; set -e
echo "hactl status exit code: $rc (3 = degraded: ctl2 is drained)"
[ "$rc" = 3 ] || { echo "expected exit 3 while ctl2 is drained" >&2; exit 1; }

step "resume ctl2"
hactl node resume ctl2
echo "agent-check ctl2 'node': $(agent_check 198.18.0.12 node)"
echo "GET /health/node on ctl2: $(health 198.18.0.12 /health/node)"
wait_for 10 hactl status >/dev/null 2>&1 || true
hactl status

step "tear down"
trap - EXIT
bash "$lab" down
echo "demo finished: nothing left running"
