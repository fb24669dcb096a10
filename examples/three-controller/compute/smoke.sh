#!/usr/bin/env bash
# Smoke test of the compute lab (run on a lab after `lab.sh up` and `lab.sh compute-up`, as root,
# with the same LAB_PREFIX and RUN): boots 4 servers on compute1 (2 with HA_Enabled=True), powers
# compute1 off through fence_ipmilan, forces its nova-compute down, evacuates the HA servers,
# waits until they are ACTIVE elsewhere, powers compute1 on, un-forces it (retrying while Nova
# still holds evacuation records) and waits until its service reports again. Prints each phase's
# seconds. Exit 0 on success.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$SCRIPT_DIR/../lab.sh
HOST=${SMOKE_HOST:-compute1}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
EVAC_TIMEOUT=${EVAC_TIMEOUT:-60}
UNFORCE_TIMEOUT=${UNFORCE_TIMEOUT:-60}
UP_TIMEOUT=${UP_TIMEOUT:-60}

os() { bash "$LAB" openstack "$@"; }
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t))"; }
T0=$(now_us)
PHASE_T=$T0
phase() {
    local t d
    t=$(now_us)
    d=$((t - PHASE_T))
    printf 'smoke: %-34s %3d.%02d s\n' "$1" $((d / 1000000)) $((d % 1000000 / 10000))
    PHASE_T=$t
}

os token >/dev/null
phase "token"
os delete-servers >/dev/null
phase "clean slate (delete old servers)"
mapfile -t booted < <(os boot "$HOST" 4 --ha 2 --prefix smoke)
all=() ha=()
for line in "${booted[@]}"; do
    all+=("${line%% *}")
    [[ $line == *" HA" ]] && ha+=("${line%% *}")
done
((${#all[@]} == 4 && ${#ha[@]} == 2)) || { echo "smoke: boot returned: ${booted[*]}" >&2; exit 1; }
phase "boot 4 requests"
# all four ACTIVE (on any host but a name that does not exist), then check they are on HOST
out=$(os wait-servers "$BOOT_TIMEOUT" no-such-host "${all[@]}")
if grep -v " on $HOST\$" <<<"$out"; then echo "smoke: a server is not on $HOST" >&2; exit 1; fi
phase "4 servers ACTIVE on $HOST"
bash "$LAB" bmc "$HOST" off >/dev/null
status=$(bash "$LAB" bmc "$HOST" status || true)
[[ $status == *"Status: OFF"* ]] || { echo "smoke: BMC status after off: $status" >&2; exit 1; }
phase "fence_ipmilan off + status OFF"
os force-down "$HOST" true >/dev/null
phase "force-down"
os evacuate "${ha[@]}" >/dev/null
phase "evacuate POSTs (${#ha[@]})"
os wait-servers "$EVAC_TIMEOUT" "$HOST" "${ha[@]}"
phase "HA servers ACTIVE elsewhere"
bash "$LAB" bmc "$HOST" on >/dev/null
phase "fence_ipmilan on"
since=$(os now)
os unforce "$HOST" "$UNFORCE_TIMEOUT"
phase "un-force accepted"
os wait-service-up "$HOST" "$since" "$UP_TIMEOUT"
phase "service up (fresh updated_at)"
d=$(($(now_us) - T0))
printf 'smoke: %-34s %3d.%02d s\n' "total" $((d / 1000000)) $((d % 1000000 / 10000))
os servers
