#!/usr/bin/env bash
# The anchor of bench/galera-endpoint.sh: what operators run today, the clustercheck pattern (as in
# Percona's clustercheck, written here from its behaviour): xinetd forks this script per HTTP
# request, which forks a mysql client, asks wsrep_local_state, and answers 200 when it is 4 (Synced).
# Usage (from xinetd): clustercheck.sh DEFAULTS_FILE HOST
defaults=$1 host=$2
state=$(mariadb --defaults-extra-file="$defaults" -h "$host" --connect-timeout=2 -N -B \
    -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" 2>/dev/null | awk '{print $2}')
if [[ $state == 4 ]]; then
    body="Galera node is synced."
    printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
else
    body="Galera node is not synced."
    printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
fi
