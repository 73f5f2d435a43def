#!/usr/bin/env bash
# Each invalid configuration: one config_error line naming the variable,
# exit 78, and no file or directory created.
source "$(dirname "$0")/lib.sh"
e2e_init

check_bad() {
    local var=$1
    shift
    set +e
    env -i PATH="$PATH" DATA_ROOT="$DATA" "$@" "$COLLECTOR" >"$T/out.log" 2>&1
    local rc=$?
    set -e
    [ "$rc" = 78 ] || fail "$var: exit $rc, want 78"
    grep -q "config_error var=$var " "$T/out.log" || fail "$var: no config_error line: $(cat "$T/out.log")"
    [ ! -e "$DATA" ] || fail "$var: DATA_ROOT was created"
    ok "invalid $var -> 78, nothing created"
}

check_bad FUTU_SYMBOLS FUTU_SYMBOLS=
grep -q "FUTU_SYMBOLS is empty" "$T/out.log" || fail "message must contain 'FUTU_SYMBOLS is empty'"
check_bad FUTU_SYMBOLS FUTU_SYMBOLS=00700
check_bad FUTU_PORT FUTU_SYMBOLS=HK.00700 FUTU_PORT=abc
check_bad FUTU_PORT FUTU_SYMBOLS=HK.00700 FUTU_PORT=70000
check_bad BATCH_SIZE FUTU_SYMBOLS=HK.00700 BATCH_SIZE=12x
check_bad FUTU_POLL_ENABLED FUTU_SYMBOLS=HK.00700 FUTU_POLL_ENABLED=maybe
check_bad SQLITE_JOURNAL_MODE FUTU_SYMBOLS=HK.00700 SQLITE_JOURNAL_MODE=fast
check_bad SQLITE_SYNCHRONOUS FUTU_SYMBOLS=HK.00700 SQLITE_SYNCHRONOUS=sometimes
check_bad LOG_LEVEL FUTU_SYMBOLS=HK.00700 LOG_LEVEL=LOUD
check_bad TRADING_SESSIONS FUTU_SYMBOLS=HK.00700 TRADING_SESSIONS=13:00-12:00
check_bad FUTU_HOLIDAYS FUTU_SYMBOLS=HK.00700 FUTU_HOLIDAYS=2026-13-45
check_bad PERSIST_RETRY_BACKOFF_SEC FUTU_SYMBOLS=HK.00700 PERSIST_RETRY_BACKOFF_SEC=fast

# All problems are reported, not just the first.
set +e
env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS= FUTU_PORT=x LOG_LEVEL=y "$COLLECTOR" >"$T/out.log" 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "multi: exit $rc"
[ "$(grep -c 'config_error var=' "$T/out.log")" = 3 ] || fail "want 3 config_error lines"
ok "every bad variable reported"

# DATA_ROOT below a regular file cannot be created.
touch "$T/afile"
set +e
env -i PATH="$PATH" DATA_ROOT="$T/afile/sub" FUTU_SYMBOLS=HK.00700 "$COLLECTOR" >"$T/out.log" 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "DATA_ROOT: exit $rc"
grep -q "config_error var=DATA_ROOT" "$T/out.log" || fail "no DATA_ROOT error"
ok "unusable DATA_ROOT -> 78"

# Clamping is not an error; --check-config shows values and sources.
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS="HK.00700, HK.00700 ,HK.00005" BATCH_SIZE=0 \
    "$COLLECTOR" --check-config 2>"$T/err.log")
echo "$out" | grep -qx "FUTU_SYMBOLS=HK.00700,HK.00005  # env" || fail "symbols: $out"
echo "$out" | grep -qx "BATCH_SIZE=1  # env" || fail "clamp: $out"
echo "$out" | grep -qx "FUTU_PORT=11111  # default" || fail "default port"
grep -q "config_clamped var=BATCH_SIZE value=0 used=1" "$T/err.log" || fail "no config_clamped"
[ ! -e "$DATA" ] || fail "--check-config created DATA_ROOT"

# Env file: fills unset names; the environment wins.
cat >"$T/env" <<'EOT'
# comment
export FUTU_SYMBOLS="HK.00700,HK.00388"
FUTU_PORT = 12345
BACKFILL_N='200'
EOT
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" BACKFILL_N=300 "$COLLECTOR" --env-file "$T/env" --check-config 2>/dev/null)
echo "$out" | grep -qx "FUTU_SYMBOLS=HK.00700,HK.00388  # env_file $T/env" || fail "env file symbols: $out"
echo "$out" | grep -qx "FUTU_PORT=12345  # env_file $T/env" || fail "env file port"
echo "$out" | grep -qx "BACKFILL_N=300  # env" || fail "env must win over file"
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" ENV_FILE="$T/env" "$COLLECTOR" --check-config 2>/dev/null)
echo "$out" | grep -q "^FUTU_SYMBOLS=HK.00700,HK.00388" || fail "ENV_FILE not honoured"
ok "--check-config, env file and precedence"

set +e
"$COLLECTOR" --bogus >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "unknown option: exit $rc"
"$COLLECTOR" --help | grep -q -- "--check-config" || fail "--help"
ok "usage errors"

# docs/config.md carries the generated variable table verbatim.
"$COLLECTOR" --help-config >"$T/ref.md"
src=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
grep -Fxf "$T/ref.md" "$src/docs/config.md" | wc -l | grep -qx "$(wc -l <"$T/ref.md")" ||
    fail "docs/config.md is out of date: regenerate with --help-config"
ok "docs/config.md matches --help-config"
