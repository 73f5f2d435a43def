#!/usr/bin/env bash
# A/B of the tick path: the same run_e2e (bench/run.sh) with two builds,
# alternating, so both meet the same machine state.
#   bash bench/ab.sh OLD_BIN_DIR [NEW_BIN_DIR] [RATE ...]
# e.g. git worktree add /tmp/old <rev> && (cd /tmp/old && make build)
#      bash bench/ab.sh /tmp/old/build/bin build/bin 10000 50000
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1
NEW=${2:-build/bin}
shift $(($# >= 2 ? 2 : 1))
RATES=${*:-10000 50000}
RUNS=${RUNS:-3}
E2E_SEC=${E2E_SEC:-15}
W=$(mktemp -d /tmp/hk-bench-ab.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
# shellcheck source=/dev/null
source <(sed -n '/^backlog()/,/^}/p;/^proc_cpu_sec()/,/^}/p;/^rows_now()/,/^}/p;/^run_e2e()/,/^}/p' bench/run.sh)
for r in $RATES; do
    for i in $(seq 1 "$RUNS"); do
        BIN=$OLD run_e2e "old_${r}_$i" 100 "$r"
        BIN=$NEW run_e2e "new_${r}_$i" 100 "$r"
    done
done
