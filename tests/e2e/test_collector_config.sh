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
grep -qx "FUTU_SYMBOLS=HK.00700,HK.00005  # env" <<<"$out" || fail "symbols: $out"
grep -qx "BATCH_SIZE=1  # env" <<<"$out" || fail "clamp: $out"
grep -qx "FUTU_PORT=11111  # default" <<<"$out" || fail "default port"
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
grep -qx "FUTU_SYMBOLS=HK.00700,HK.00388  # env_file $T/env" <<<"$out" || fail "env file symbols: $out"
grep -qx "FUTU_PORT=12345  # env_file $T/env" <<<"$out" || fail "env file port"
grep -qx "BACKFILL_N=300  # env" <<<"$out" || fail "env must win over file"
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" ENV_FILE="$T/env" "$COLLECTOR" --check-config 2>/dev/null)
grep -q "^FUTU_SYMBOLS=HK.00700,HK.00388" <<<"$out" || fail "ENV_FILE not honoured"
ok "--check-config, env file and precedence"

set +e
"$COLLECTOR" --bogus >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "unknown option: exit $rc"
"$COLLECTOR" --help | gq -- "--check-config" || fail "--help"
ok "usage errors"

# Symbols are validated at load time: --check-config fails naming the
# variable and the bad entry (it used to pass and then retry forever).
check_bad FUTU_SYMBOLS FUTU_SYMBOLS=hk.00700,XX.00005
grep -q "config_error var=FUTU_SYMBOLS value=hk.00700,XX.00005 reason=\"unknown market 'hk' in symbol 'hk.00700'" "$T/out.log" ||
    fail "symbol reason: $(cat "$T/out.log")"
set +e
env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700,XX.00005 "$COLLECTOR" --check-config >/dev/null 2>"$T/out.log"
rc=$?
set -e
[ "$rc" = 78 ] || fail "--check-config with XX.00005: exit $rc"
grep -q "reason=\"unknown market 'XX' in symbol 'XX.00005'" "$T/out.log" || fail "XX reason: $(cat "$T/out.log")"
ok "unknown market / lowercase prefix -> 78 at --check-config, entry named"

# A valid number below its floor is raised and logged, even negative.
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700 BATCH_SIZE=-5 \
    GAP_THRESHOLD_SEC=-1 "$COLLECTOR" --check-config 2>"$T/err.log") || fail "BATCH_SIZE=-5 must not be an error"
grep -qx "BATCH_SIZE=1  # env" <<<"$out" || fail "-5 not raised: $out"
grep -qx "GAP_THRESHOLD_SEC=0.1  # env" <<<"$out" || fail "-1 not raised"
grep -q "config_clamped var=BATCH_SIZE value=-5 used=1" "$T/err.log" || fail "no config_clamped for -5"
check_bad BATCH_SIZE FUTU_SYMBOLS=HK.00700 BATCH_SIZE=-5x
check_bad SQLITE_CACHE_MIB FUTU_SYMBOLS=HK.00700 SQLITE_CACHE_MIB=5000
ok "below floor raised and logged; not a number or above maximum -> 78"

# Config and env files must be regular files under 1 MiB: each other kind
# fails fast (exit 78, the file and the problem named, nothing created).
# check_file NAME REASON ARGS... (timeout guards against a blocking read).
check_file() {
    local name=$1 reason=$2
    shift 2
    set +e
    env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700 \
        timeout 10 "$COLLECTOR" "$@" --check-config >/dev/null 2>"$T/out.log"
    local rc=$?
    set -e
    [ "$rc" = 78 ] || fail "$name: exit $rc, want 78 (124 = hung)"
    grep -qF "$reason" "$T/out.log" || fail "$name: want '$reason' in: $(cat "$T/out.log")"
    [ ! -e "$DATA" ] || fail "$name: DATA_ROOT was created"
    ok "$name -> 78: $reason"
}
start=$(date +%s%N)
check_file "--config /dev/zero" \
    'config_error var=CONFIG_FILE value=/dev/zero reason="not a regular file (character device)"' \
    --config /dev/zero
[ $((($(date +%s%N) - start) / 1000000)) -lt 5000 ] || fail "/dev/zero took too long"
mkfifo "$T/fifo"
check_file "FIFO config" \
    "config_error var=CONFIG_FILE value=$T/fifo reason=\"not a regular file (FIFO)\"" --config "$T/fifo"
check_file "FIFO env file" \
    "config_error var=ENV_FILE value=$T/fifo reason=\"not a regular file (FIFO)\"" --env-file "$T/fifo"
mkdir "$T/confdir"
check_file "directory config" \
    "config_error var=CONFIG_FILE value=$T/confdir reason=\"not a regular file (directory)\"" --config "$T/confdir"
printf 'FUTU_PORT=1\nBATCH_SIZE=7\0junk\n' >"$T/nul.conf"
check_file "NUL byte" \
    "config_error var=CONFIG_FILE value=$T/nul.conf reason=\"NUL byte at line 2\"" --config "$T/nul.conf"
head -c 1048577 /dev/zero | tr '\0' '#' >"$T/big.env"
check_file "file over 1 MiB" \
    "config_error var=ENV_FILE value=$T/big.env reason=\"larger than 1048576 bytes\"" --env-file "$T/big.env"
mkfifo "$T/keyfifo"
set +e
env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700 API_KEY_FILE="$T/keyfifo" \
    timeout 10 "$COLLECTOR" --check-config >/dev/null 2>"$T/out.log"
rc=$?
set -e
[ "$rc" = 78 ] || fail "API_KEY_FILE fifo: exit $rc"
grep -qF "config_error var=API_KEY_FILE value=$T/keyfifo reason=\"not a regular file (FIFO)\"" "$T/out.log" ||
    fail "API_KEY_FILE fifo: $(cat "$T/out.log")"
ok "FIFO secret file -> 78 without blocking"

# docs/config.md carries the generated variable table verbatim.
"$COLLECTOR" --help-config >"$T/ref.md"
src=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
grep -Fxf "$T/ref.md" "$src/docs/config.md" | wc -l | gq -x "$(wc -l <"$T/ref.md")" ||
    fail "docs/config.md is out of date: regenerate with --help-config"
ok "docs/config.md matches --help-config"
