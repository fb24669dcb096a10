#!/usr/bin/env bash
# Builds and runs the libFuzzer targets (Sources/Fuzz*, docs/testing.md "Fuzzing").
#
# Usage: scripts/fuzz.sh quick|long|build [TARGET...]
#   quick  bounded run of each target (make test): FUZZ_QUICK_SECONDS (5) and FUZZ_QUICK_RUNS (500000) each
#   long   FUZZ_SECONDS (60) of each target (make fuzz)
#   build  only build the fuzzers
# Environment: FUZZ_SCRATCH (.build-fuzz) the scratch path of the fuzz build (release, --sanitize=fuzzer,
#   -DHACTL_FUZZ; kept apart from .build); FUZZ_TARGETS (all four) when no TARGET is named;
#   FUZZ_ARGS extra libFuzzer flags.
# Each run reads the committed seeds in fuzz/corpus/TARGET and writes what it finds to
# FUZZ_SCRATCH/corpus/TARGET (not committed). Crash inputs are saved to FUZZ_SCRATCH/crashes/TARGET/.
# Prints executions and exec/s per target. Exit: 0 no crash, 1 a build failed or a target crashed,
# 2 usage error.
set -euo pipefail

cd "$(dirname "$0")/.."
PROG=fuzz
SWIFT=${SWIFT:-swift}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
ALL_TARGETS=(FuzzSignedCall FuzzRequestTarget FuzzVRRPCodec FuzzPeerAnswer)

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

(($# >= 1)) || usage
mode=$1
shift
case $mode in quick | long | build) ;; *) usage ;; esac

if (($# > 0)); then
    targets=("$@")
elif [[ -n ${FUZZ_TARGETS:-} ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    targets=("${ALL_TARGETS[@]}")
fi
for t in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "$PROG: unknown target $t (${ALL_TARGETS[*]})" >&2; exit 2; }
done

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
quick_seconds=${FUZZ_QUICK_SECONDS:-5}
quick_runs=${FUZZ_QUICK_RUNS:-500000}
long_seconds=${FUZZ_SECONDS:-60}
for v in "$quick_seconds" "$quick_runs" "$long_seconds"; do
    is_uint "$v" || { echo "$PROG: FUZZ_SECONDS, FUZZ_QUICK_SECONDS, FUZZ_QUICK_RUNS must be whole numbers" >&2; exit 2; }
done

build_start=$SECONDS
mkdir -p "$SCRATCH"
for t in "${targets[@]}"; do
    echo "== fuzz build $t ($SCRATCH)"
    blog="$SCRATCH/build-$t.log"
    set +e
    "$SWIFT" build -c release --scratch-path "$SCRATCH" --sanitize=fuzzer -Xswiftc -DHACTL_FUZZ \
        --product "$t" >"$blog" 2>&1
    rc=$?
    set -e
    grep -Ev '^\[[0-9]+/[0-9]+\]|unhandled; explicitly declare|CMakeLists.txt$|^Building for|^\[0/1\] Planning' "$blog" || true
    ((rc == 0)) || { echo "$PROG: building $t failed (exit $rc, log $blog)" >&2; exit 1; }
done
echo "== fuzz build: $((SECONDS - build_start)) s"
[[ $mode == build ]] && exit 0

bin_dir="$SCRATCH/release"
summary=()
failed=0
for t in "${targets[@]}"; do
    seeds="fuzz/corpus/$t"
    work="$SCRATCH/corpus/$t"
    crashes="$SCRATCH/crashes/$t"
    mkdir -p "$work" "$crashes"
    flags=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=4096 "-artifact_prefix=$crashes/")
    [[ -f fuzz/dict/$t.dict ]] && flags+=("-dict=fuzz/dict/$t.dict")
    if [[ $mode == quick ]]; then
        flags+=("-max_total_time=$quick_seconds" "-runs=$quick_runs")
    else
        flags+=("-max_total_time=$long_seconds")
    fi
    # shellcheck disable=SC2206
    flags+=(${FUZZ_ARGS:-})
    log="$SCRATCH/fuzz-$t.log"
    echo "== fuzz $t: ${flags[*]} $work $seeds"
    start=$SECONDS
    set +e
    "$bin_dir/$t" "${flags[@]}" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$((SECONDS - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    line=$(printf '%-18s %10s execs %8s exec/s  %4s s  cov %5s  new units %4s' \
        "$t" "${execs:-?}" "${rate:-?}" "$elapsed" "${cov:-?}" "${added:-?}")
    if ((rc != 0)); then
        failed=1
        line+="  CRASH (exit $rc)"
        echo "$PROG: $t crashed; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        artifact=$(grep -Eo "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
        if [[ -n $artifact ]]; then
            echo "$PROG: reproduce: $bin_dir/$t $artifact   (or, without the fuzzer: swift run $t $artifact)" >&2
        fi
    fi
    echo "$line"
    summary+=("$line")
done

echo "== fuzz summary ($mode)"
printf '%s\n' "${summary[@]}"
exit $failed
