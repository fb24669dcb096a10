#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing.
#
# Usage: scripts/install-deps.sh SET [SET...]    SET: build | lab | bench | compute
# Exit: 0 all present or installed, 1 apt failed, 2 usage error or packages missing and not root.
set -euo pipefail

PROG=install-deps

pkgs_of() {
    case $1 in
        # C libraries behind the system library targets (CNetlink, CMariaDB, CRabbitMQ, CCurl).
        build) echo pkg-config libnl-route-3-dev libmariadb-dev librabbitmq-dev libcurl4-openssl-dev ;;
        # examples/three-controller/lab.sh and the integration tests (ping: VIP reachability;
        # keepalived 2.2.7: the VRRP peer of the interop tests and the failover bench;
        # mariadb-server + galera-4 + rsync: the Galera cluster (rsync SST); rabbitmq-server: the
        # RabbitMQ cluster; haproxy: the load balancer in the client namespace; python3: test helpers).
        lab) echo iproute2 curl procps nftables iputils-ping keepalived mariadb-server galera-4 rsync rabbitmq-server haproxy python3 ;;
        # xinetd: runs the clustercheck-style anchor of bench/galera-endpoint.sh.
        bench) echo wrk xinetd ;;
        # examples/three-controller/lab.d/compute.sh: Keystone, Placement, Nova (Zed) under
        # /usr/bin/python3, their own MariaDB and RabbitMQ, ipmi_sim BMCs fenced by fence_ipmilan.
        compute) echo python3-nova python3-placement python3-keystone python3-keystonemiddleware python3-pymysql openipmi fence-agents ipmitool mariadb-server rabbitmq-server jq curl iproute2 util-linux ;;
        *) return 1 ;;
    esac
}

usage() {
    printf 'usage: %s build|lab|bench|compute [...]\n' "$0" >&2
    exit 2
}

is_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ $status == "install ok installed" ]]
}

(($# > 0)) || usage

wanted=()
for set in "$@"; do
    pkgs=$(pkgs_of "$set") || {
        printf '%s: unknown set %s\n' "$PROG" "$set" >&2
        usage
    }
    read -r -a list <<<"$pkgs"
    for p in "${list[@]}"; do
        [[ " ${wanted[*]} " == *" $p "* ]] || wanted+=("$p")
    done
done

missing=()
for p in "${wanted[@]}"; do
    is_installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    printf '%s: %s: all present\n' "$PROG" "$*"
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    printf '%s: missing packages (run as root to install): %s\n' "$PROG" "${missing[*]}" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
aptlog=$(mktemp /tmp/install-deps.XXXXXX.log)
policy=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if ((created_policy)); then rm -f "$policy"; fi
    rm -f "$aptlog"
}
trap cleanup EXIT

# Package post-install scripts must not start services (mariadb, rabbitmq...): the lab starts
# its own instances inside namespaces.
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from hactl scripts/install-deps.sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    created_policy=1
fi

apt_fail() {
    printf '%s: %s failed; last lines:\n' "$PROG" "$1" >&2
    tail -n 20 "$aptlog" >&2
    exit 1
}

apt-get -o DPkg::Lock::Timeout=600 update -q >>"$aptlog" 2>&1 || apt_fail "apt-get update"
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >>"$aptlog" 2>&1 || apt_fail "apt-get install ${missing[*]}"

for p in "${missing[@]}"; do
    is_installed "$p" || apt_fail "installing $p"
done
printf '%s: installed %s\n' "$PROG" "${missing[*]}"
