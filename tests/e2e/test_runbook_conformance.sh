#!/usr/bin/env bash
# Runbook conformance: the operator runbooks (seed 000: production one-page
# runbook; seed 001: Lightsail/Ubuntu deployment runbook) are the
# acceptance script. Every command in their ```bash blocks that needs no
# Futu account, no sudo and no running systemd - the sqlite3 queries, the
# DB health-check script, hk-tickctl lines, the snapshot backup, ls and
# lsof/fuser/lslocks - is extracted and run as written against a data root
# filled by a real collector run. Only two rewrites are made: the data root
# /data/sqlite/HK -> the scratch root, and `sudo -u hkcollector [-H]` /
# `sudo` dropped. Each must exit 0 with non-empty output (the snapshot
# backup: the snapshot exists and holds the rows).
#
# The runbooks are read from $HK_RUNBOOKS (default: the copies in
# tests/data/runbooks, 000_*.txt and 001_*.txt); a missing runbook fails.
source "$(dirname "$0")/lib.sh"
e2e_init
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RB_DIR=${HK_RUNBOOKS:-$ROOT/tests/data/runbooks}
rb=()
for f in "$RB_DIR"/000_*.txt "$RB_DIR"/001_*.txt; do
    [ -f "$f" ] && rb+=("$f")
done
if [ "${#rb[@]}" -lt 2 ]; then
    fail "runbooks not found in $RB_DIR (set HK_RUNBOOKS)"
fi

# --- fill the data root with a real collector run ------------------------
# Runbook lines use both the HK date (TZ=Asia/Hong_Kong date) and the UTC
# date (date -u): they differ 00:00-08:00 HKT, so when they do the simulator
# also produces a session on the UTC date (15:00 HKT of that date).
SYMS=HK.00700,HK.00981,HK.00005
HK_DAY=$(TZ=Asia/Hong_Kong date +%Y%m%d)
UTC_DAY=$(date -u +%Y%m%d)
start_sim --symbols $SYMS --rate 600 --max-ticks 2000 --seed 11
start_collector FUTU_SYMBOLS=$SYMS
wait_rows 2000 40
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit $COL_RC"
kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
if [ "$UTC_DAY" != "$HK_DAY" ]; then
    start_sim --symbols $SYMS --rate 600 --max-ticks 1000 --seed 12 \
        --clock-start "${UTC_DAY:0:4}-${UTC_DAY:4:2}-${UTC_DAY:6:2} 15:00:00"
    start_collector FUTU_SYMBOLS=$SYMS
    wait_rows 3000 40
    stop_collector TERM
    [ "$COL_RC" = 0 ] || fail "collector exit $COL_RC (UTC-day run)"
fi
[ -f "$DATA/$HK_DAY.db" ] && [ -f "$DATA/$UTC_DAY.db" ] || fail "day files missing: $(ls "$DATA")"
ok "data root filled: $(cd "$DATA" && ls [0-9]*.db | tr '\n' ' ')"

# --- extract the commands ---------------------------------------------------
# Logical commands: lines joined across trailing backslashes and across
# unbalanced double quotes (multi-line SQL inside "…").
unescaped_quotes() { # count of " not preceded by a backslash
    local s=${1//\\\\/} n
    s=${s//\\\"/}
    n=${s//[^\"]/}
    echo ${#n}
}
extract() { # FILE -> one command per NUL-terminated record
    local in=0 cmd="" line
    while IFS= read -r line || [ -n "$line" ]; do
        if [ $in = 0 ]; then
            [[ $line =~ ^\`\`\`bash ]] && in=1
            continue
        fi
        if [[ $line =~ ^\`\`\` ]]; then
            in=0
            cmd=""
            continue
        fi
        if [ -n "$cmd" ]; then cmd+=$'\n'"$line"; else cmd=$line; fi
        [[ $line == *\\ ]] && continue
        (( $(unescaped_quotes "$cmd") % 2 == 0 )) || continue
        printf '%s\0' "$cmd"
        cmd=""
    done <"$1"
}

rewrite() { # CMD -> CMD with the data root and sudo rewritten
    local c=$1
    c=${c//\/data\/sqlite\/HK/$DATA}
    c=$(printf '%s' "$c" | sed -E 's/sudo -u hkcollector( -H)? //g; s/^sudo (ls|sqlite3|bash) /\1 /')
    printf '%s' "$c"
}

SCRIPT="$T/conformance.sh"
{
    echo "set -uo pipefail"
    echo "cd '$ROOT'"
    echo "n_run=0; n_fail=0"
    echo "chk() { # KIND CMD"
    echo "  local kind=\$1 cmd=\$2 out rc"
    echo "  out=\$(eval \"\$cmd\" 2>&1); rc=\$?"
    echo "  n_run=\$((n_run + 1))"
    echo "  if [ \$rc -ne 0 ]; then echo \"FAIL rc=\$rc: \$cmd\"; echo \"\$out\" | head -5; n_fail=\$((n_fail + 1)); return; fi"
    echo "  if [ \"\$kind\" = query ] && [ -z \"\$out\" ]; then echo \"FAIL empty output: \$cmd\"; n_fail=\$((n_fail + 1)); return; fi"
    echo "  if [ \"\$kind\" = health ] && ! grep -q '== Global freshness ==' <<<\"\$out\"; then echo \"FAIL no sections: \$cmd\"; n_fail=\$((n_fail + 1)); return; fi"
    echo "  echo \"ok [\$kind] \$(echo \"\$cmd\" | head -n 1 | cut -c1-110)\""
    echo "}"
} >"$SCRIPT"

n=0
for f in "${rb[@]}"; do
    echo "# ---- $(basename "$f")" >>"$SCRIPT"
    while IFS= read -r -d '' raw; do
        c=$(rewrite "$raw")
        first=${c%%$'\n'*}
        kind=""
        case "$first" in
        DAY=* | TODAY=* | DB=* | SNAP=*) kind=assign ;;
        "sqlite3 "*".backup "*) kind=backup ;;
        "sqlite3 "* | "bash -lc \"sqlite3 "*) kind=query ;;
        "bash scripts/db_health_check.sh "*) kind=health ;;
        "scripts/hk-tickctl "*) kind=query ;;
        "ls -l"*"$DATA"*) kind=query ;;
        "lsof "* | "fuser "* | "lslocks "*) kind=tool ;;
        esac
        [ -n "$kind" ] || continue
        case "$c" in *sudo*) continue ;; esac
        if [ "$kind" = assign ]; then
            printf '%s\n' "$c" >>"$SCRIPT"
        else
            n=$((n + 1))
            printf 'chk %s %q\n' "$kind" "$c" >>"$SCRIPT"
            if [ "$kind" = backup ]; then
                # The snapshot must exist and hold the day's rows; it is a
                # non-day file the CLI ignores afterwards.
                printf 'chk query %q\n' 'sqlite3 "file:${SNAP}?mode=ro" "SELECT COUNT(*) FROM ticks;"' >>"$SCRIPT"
                printf 'chk query %q\n' "\"$CTL\" status --data-root \"$DATA\" --day \"\$DAY\"" >>"$SCRIPT"
            fi
        fi
    done < <(extract "$f")
done
echo 'echo "summary run=$n_run fail=$n_fail"; [ $n_fail -eq 0 ]' >>"$SCRIPT"
[ "$n" -ge 15 ] || fail "only $n runbook commands extracted (extraction broken?)"

set +e
out=$(PATH="$ROOT/scripts:$PATH" bash "$SCRIPT" 2>&1)
rc=$?
set -e
echo "$out" | sed 's/^/  /'
[ "$rc" = 0 ] || fail "runbook commands failed"
ok "$n runbook commands run as written against the collector's data root"

# The runbook's snapshot is not a day file: retention and the CLI ignore it.
ls "$DATA"/*.snapshot.db >/dev/null 2>&1 || fail "snapshot not created"
out=$("$CTL" db stats --data-root "$DATA" --day "$HK_DAY")
grep -q "^rows=" <<<"$out" || fail "db stats after snapshot: $out"
ok "snapshot file ignored by hk-tickctl"
