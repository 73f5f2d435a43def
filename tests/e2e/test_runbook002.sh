#!/usr/bin/env bash
# Runbook 002 (MarketPrism operations guide, Chinese) run verbatim: every
# command in its ```bash blocks, in order, each block starting at the
# repository root with `cd` lines followed, must exit 0. Skipped: comment
# lines and `git pull` (needs a remote). Commands that follow a log
# (`tail -f`, `manage.sh logs -f`) run for 3 s and must have printed
# something. Two rewrites keep the test off the machine's real ports and
# /tmp: the lock path /tmp/marketprism_ -> the test's lock dir, and the
# port list 4222|8222|8123|8085|8086|8087 of `ss | grep` -> the test's
# ports (the settings come from the environment, which config/marketprism.env
# documents as overriding it).
#
# The commands run in a copy of the checkout's scripts/, services/ and
# config/ under a temp dir (build/bin links to the real programs), so the
# runbook's relative paths (logs/…, ../../logs/…) land in the temp dir.
# The runbook starts every service, so this needs hot-store and cold-store:
# skipped (77) while either binary is missing. Runbook: $HK_RUNBOOK002
# (default tests/data/runbooks/002_*.txt).
# ctest-cost: 130
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/manage_lib.sh"
need_servers
BIN=${MARKETPRISM_BIN_DIR:-$MROOT/build/bin}
for b in hot-store cold-store hk-tick-collector opend-sim; do
    [ -x "$BIN/$b" ] || skip "$BIN/$b not built yet (make build); runbook 002 starts every service"
done
RB=${HK_RUNBOOK002:-$(ls "$MROOT"/tests/data/runbooks/002_*.txt 2>/dev/null | head -n 1)}
[ -f "$RB" ] || fail "runbook 002 not found (set HK_RUNBOOK002)"

R="$T/repo"
mkdir -p "$R/build"
cp -a "$MROOT/scripts" "$MROOT/services" "$MROOT/config" "$R/"
ln -s "$BIN" "$R/build/bin"
mp_env_setup "$T"
# Defaults of the copy: logs/ and data/marketprism under $R, as a user has.
unset MARKETPRISM_STATE_DIR MARKETPRISM_LOG_DIR MARKETPRISM_BIN_DIR
export MARKETPRISM_SERVICES="nats clickhouse hot collector cold"
trap 'rc=$?; MARKETPRISM_STATE_DIR=$R/data/marketprism mp_kill_leftovers; (exit $rc); e2e_cleanup' EXIT
PORTRE=$(echo "$MP_PORTS" | awk '{print $1"|"$2"|"$3"|"$5"|"$6"|"$7}')

# --- extract: one record per block line, blocks separated by an empty record
extract() {
    local in=0 line
    while IFS= read -r line || [ -n "$line" ]; do
        if [ $in = 0 ]; then
            [[ $line =~ ^\`\`\`bash ]] && in=1
            continue
        fi
        if [[ $line =~ ^\`\`\` ]]; then
            in=0
            printf '\0'
            continue
        fi
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        printf '%s\0' "$line"
    done <"$1"
}

# Every command of the runbook's bash blocks, in order (cd lines included):
# the extraction must find exactly these, so a changed runbook or a broken
# extractor fails here instead of silently running less.
EXPECTED=$(sed 's/^    //' <<'EOF'
    ./scripts/manage_all.sh init && ./scripts/manage_all.sh start
    ./scripts/manage_all.sh restart
    ./scripts/manage_all.sh health
    ./scripts/manage_all.sh diagnose
    cd services/data-storage-service/scripts
    ./manage.sh start hot
    ./manage.sh stop cold
    ./manage.sh status
    ./manage.sh clean --force
    cd services/data-collector/scripts
    ./manage.sh start
    ./manage.sh restart
    ./manage.sh status
    cd services/message-broker/scripts
    ./manage.sh start
    ./manage.sh logs -f
    ./manage.sh status
    ./scripts/manage_all.sh diagnose
    ./scripts/manage_all.sh clean
    ./scripts/manage_all.sh restart
    ./scripts/manage_all.sh health
    ss -ltnp | grep -E ':(4222|8222|8123|8085|8086|8087)'
    ./scripts/manage_all.sh stop
    ./scripts/manage_all.sh clean
    ./scripts/manage_all.sh start
    ls -l /tmp/marketprism_*.lock
    cd services/data-storage-service/scripts
    ./manage.sh clean --force
    cd ../../data-collector/scripts
    ./manage.sh clean
    cd ../../../
    ./scripts/manage_all.sh start
    cd services/data-collector/scripts
    ./manage.sh status
    tail -f ../../logs/collector.log
    ./manage.sh restart
    cd ../../message-broker/scripts
    ./manage.sh health
    tail -f logs/hot_storage.log
    tail -f logs/cold_storage.log
    tail -f logs/collector.log
    cd services/message-broker/scripts
    ./manage.sh logs -f
    ./scripts/manage_all.sh status
    ps aux | grep -E '(nats-server|main.py|unified_collector_main.py)' | grep -v grep
    ss -ltnp | grep -E ':(4222|8222|8123|8085|8086|8087)'
    ls -l /tmp/marketprism_*.lock
    ./scripts/manage_all.sh health
    ./scripts/manage_all.sh status
    ./scripts/manage_all.sh clean
    ./scripts/manage_all.sh restart
    ./scripts/manage_all.sh health
    ./scripts/manage_all.sh stop
    git pull
    ./scripts/manage_all.sh start
    ./scripts/manage_all.sh health
    ./scripts/manage_all.sh status
EOF
)
got=$(extract "$RB" | tr '\0' '\n' | grep -v '^$')
[ "$got" = "$EXPECTED" ] || fail "runbook commands differ from the list:"$'\n'"$(diff <(echo "$EXPECTED") <(echo "$got"))"
# The quick-reference table's commands are all among them.
while IFS= read -r c; do
    grep -qE -- "(^| )${c//./\\.}( |$)" <<<"$EXPECTED" || fail "table command not in any block: $c"
done < <(grep -oE '`\./scripts/manage_all\.sh [a-z]+`' "$RB" | tr -d '`')
ok "runbook 002: $(wc -l <<<"$EXPECTED") commands extracted, as listed; the table's 8 verbs among them"

n_run=0
n_skip=0
cd "$R"
while IFS= read -r -d '' c; do
    if [ -z "$c" ]; then # end of a block: back to the root
        cd "$R"
        continue
    fi
    case "$c" in
    "git pull"*)
        n_skip=$((n_skip + 1))
        echo "skip: $c"
        continue
        ;;
    "cd "*)
        eval "$c" || fail "runbook: $c (in $PWD)"
        echo "ok   $c"
        continue
        ;;
    esac
    x=${c//\/tmp\/marketprism_/$MARKETPRISM_LOCK_DIR/marketprism_}
    x=${x//4222|8222|8123|8085|8086|8087/$PORTRE}
    n_run=$((n_run + 1))
    echo "# ${SECONDS}s $c"
    set +e
    if [[ $x == *"tail -f"* ]] || [[ $x == *"logs -f"* ]]; then
        out=$(timeout 3 bash -c "$x" 2>&1)
        rc=$?
        [ $rc = 124 ] && rc=0
        [ -n "$out" ] || rc=1
    else
        out=$(timeout 240 bash -c "$x" 2>&1)
        rc=$?
    fi
    set -e
    [ $rc = 0 ] || fail "runbook command exit $rc (in ${PWD#"$R"/}): $c"$'\n'"$out"
    echo "ok   $c"
done < <(extract "$RB")
ok "runbook 002: $n_run commands ran verbatim with exit 0 ($n_skip skipped: git pull)"

# The runbook's effects: everything up and healthy, logs where it says.
run_ok status ./scripts/manage_all.sh status
for s in NATS ClickHouse hot-store opend-sim collector cold-store; do
    has "^$s +[0-9]+ .* healthy "
done
run_ok health ./scripts/manage_all.sh health
has '^ok +freshness: newest tick in hot is [0-9]+s old \([0-9]+ rows\)$'
has '^ok +replication lag: [0-9.]+s, [0-9]+ rows$'
grep -q 'cold_day_verified\|cold_started' "$R/logs/cold_storage.log" ||
    fail "cold-store did not log its start"
for f in nats hot_storage cold_storage collector; do
    [ -s "$R/logs/$f.log" ] || fail "logs/$f.log missing or empty"
done
[ -s "$R/logs/opend-sim-truth.csv" ] || fail "logs/opend-sim-truth.csv missing"
run_ok stop ./scripts/manage_all.sh stop
[ -z "$(ls "$MARKETPRISM_LOCK_DIR")" ] || fail "locks left: $(ls "$MARKETPRISM_LOCK_DIR")"
ok "after the runbook: all six healthy, logs in logs/, clean stop"
