#!/usr/bin/env bash
# run-fuzz.sh - run every libFuzzer target of a FUZZ=ON build for a while.
#
#   scripts/run-fuzz.sh BUILD_DIR SECONDS
#
# Build first, e.g.:
#   CC=clang cmake -S . -B build-fuzz -DSANITIZE=ON -DFUZZ=ON \
#       -DCMAKE_BUILD_TYPE=Debug && cmake --build build-fuzz -j2
#
# Runs each BUILD_DIR/bin/fuzz_NAME for SECONDS seconds, one after another,
# on a scratch copy of tests/fuzz/corpus/NAME (the committed seeds are never
# modified; inputs the run discovers are thrown away). Options: -timeout=10,
# -rss_limit_mb=2048, and -max_len=65536 for fuzz_frame. Crash, timeout,
# leak and OOM reproducers land in BUILD_DIR/fuzz-artifacts/NAME/ and the
# full log in BUILD_DIR/fuzz-logs/NAME.log.
#
# Prints one summary line per target and exits 1 if any target failed (a
# crash, sanitizer report, timeout, leak or OOM), 2 on usage errors.
set -uo pipefail

usage() {
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
}

[ $# -eq 2 ] || usage
build=$1
secs=$2
case $secs in
'' | *[!0-9]*) usage ;;
esac
[ "$secs" -gt 0 ] || usage

src=$(cd "$(dirname "$0")/.." && pwd)
bindir=$build/bin
if [ ! -d "$bindir" ]; then
    echo "run-fuzz: no $bindir (configure with -DFUZZ=ON and build)" >&2
    exit 2
fi
build=$(cd "$build" && pwd)
bindir=$build/bin

shopt -s nullglob
targets=("$bindir"/fuzz_*)
shopt -u nullglob
if [ ${#targets[@]} -eq 0 ]; then
    echo "run-fuzz: no fuzz_* targets in $bindir (FUZZ=ON with clang?)" >&2
    exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Sanitizers: stop on the first report and make it readable.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# last_stat LOG KEY: value of a -print_final_stats line "stat::KEY: N".
last_stat() {
    sed -n "s/^stat::$2:[[:space:]]*\([0-9]*\).*/\1/p" "$1" | tail -n 1
}

failed=0
for bin in "${targets[@]}"; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    name=$(basename "$bin")
    short=${name#fuzz_}
    seeds=$src/tests/fuzz/corpus/$short
    work=$scratch/$short
    art=$build/fuzz-artifacts/$short
    log=$build/fuzz-logs/$short.log
    mkdir -p "$work" "$art" "$(dirname "$log")"
    nseeds=0
    if [ -d "$seeds" ]; then
        cp -R "$seeds"/. "$work"/
        nseeds=$(find "$work" -type f | wc -l)
    fi
    rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* \
        "$art"/slow-unit-*

    args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix="$art/")
    [ "$short" = frame ] && args+=(-max_len=65536)

    # A subshell, so that bash's "Aborted" notice goes to the log too.
    (
        "$bin" "${args[@]}" "$work"
        exit $?
    ) >"$log" 2>&1 </dev/null
    rc=$?

    runs=$(last_stat "$log" number_of_executed_units)
    eps=$(last_stat "$log" average_exec_per_sec)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "$work" -type f | wc -l)
    found=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o \
        -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)

    if [ $rc -eq 0 ] && [ -z "$found" ]; then
        printf '%s: OK %s runs in %ss, %s exec/s, cov %s, corpus %s ' \
            "$name" "${runs:-?}" "$secs" "${eps:-?}" "${cov:-?}" "$corpus"
        printf '(%s seeds)\n' "$nseeds"
    else
        failed=1
        kind=failure
        case $(basename "${found:-none}") in
        crash-*) kind=crash ;;
        leak-*) kind=leak ;;
        timeout-*) kind=timeout ;;
        oom-*) kind=oom ;;
        esac
        printf '%s: FAILED (%s, exit %s) after %s runs; input %s; log %s\n' \
            "$name" "$kind" "$rc" "${runs:-?}" "${found:-none}" "$log"
        grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9]+ ' "$log" |
            head -n 15 | sed 's/^/    /'
    fi
done
exit $failed
