#!/usr/bin/env bash
# hot-store's command line and configuration: --help, --version,
# --help-config, --check-config (sources, exit 0/78), config errors exit
# 78 before connecting anywhere; an unknown option exits 78.
source "$(dirname "$0")/lib.sh"
e2e_init
HOT="$HK_BIN/hot-store"

"$HOT" --help | gq '^Usage: hot-store' || fail "--help"
"$HOT" --version | gq -x 'hot-store [0-9.]*' || fail "--version"
"$HOT" --help-config >"$T/ref.md"
grep -q '^| `HOT_BATCH_ROWS` | `5000` |' "$T/ref.md" || fail "--help-config"
grep -q '^| `HOT_HTTP_PORT` | `8085` |' "$T/ref.md" || fail "--help-config port"
ok "--help, --version, --help-config"

env -i HOT_BATCH_ROWS=250 "$HOT" --check-config >"$T/check.txt" 2>&1 ||
    fail "--check-config rc $?"
grep -qx 'HOT_BATCH_ROWS=250  # env' "$T/check.txt" || fail "source env"
grep -qx 'CLICKHOUSE_URL=http://127.0.0.1:8123  # default' "$T/check.txt" ||
    fail "default CLICKHOUSE_URL"
grep -qx 'NATS_STREAM=HK_TICKS  # default' "$T/check.txt" || fail "stream"
printf 'HOT_DATABASE=hot2\n' >"$T/hot.env"
env -i "$HOT" --env-file "$T/hot.env" --check-config >"$T/check2.txt" 2>&1 ||
    fail "--env-file"
grep -q '^HOT_DATABASE=hot2  # env_file' "$T/check2.txt" ||
    fail "env file source: $(grep HOT_DATABASE "$T/check2.txt")"
env -i NATS_STREAM_MAX_BYTES=999999999999999 "$HOT" --check-config >"$T/check3.txt" 2>&1 ||
    fail "--check-config with a 15-digit NATS_STREAM_MAX_BYTES"
grep -qx 'NATS_STREAM_MAX_BYTES=999999999999999  # env' "$T/check3.txt" ||
    fail "int64 not exact: $(grep NATS_STREAM_MAX_BYTES "$T/check3.txt")"
ok "--check-config shows values and sources"

# The stream settings hot-store shares with the collector have the same
# default and bounds in both (the column of --help-config).
for v in NATS_STREAM_MAX_AGE_SEC NATS_STREAM_MAX_BYTES NATS_DUPLICATE_WINDOW_SEC; do
    h=$(grep "^| \`$v\` |" "$T/ref.md" | cut -d'|' -f3,4)
    c=$("$HK_BIN/hk-tick-collector" --help-config | grep "^| \`$v\` |" | cut -d'|' -f3,4)
    [ -n "$h" ] && [ "$h" = "$c" ] || fail "$v: hot-store '$h', collector '$c'"
done
ok "stream settings: same defaults and bounds as the collector"

check_bad() {
    local rc=0
    env -i "$@" "$HOT" >"$T/bad.log" 2>&1 || rc=$?
    [ "$rc" = 78 ] || fail "$* -> exit $rc, want 78"
    grep -q "config_error var=${1%%=*}" "$T/bad.log" || fail "$*: no config_error"
    grep -q 'hot_exit code=78 reason=config_error' "$T/bad.log" || fail "$*: no hot_exit"
}
check_bad HOT_BATCH_ROWS=abc
check_bad HOT_BATCH_ROWS=1000000
check_bad HOT_DATABASE='x;drop'
check_bad NATS_STREAM=a.b
check_bad HOT_CONSUMER='a b'
check_bad NATS_STREAM_MAX_AGE_SEC=-5
check_bad NATS_STREAM_MAX_BYTES=9007199254740993
check_bad NATS_STREAM_MAX_BYTES=9223372036854775808
check_bad NATS_DUPLICATE_WINDOW_SEC=0
rc=0
"$HOT" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "--bogus exit $rc"
ok "bad values and options exit 78 with config_error"

# The command line (svc/front.c): getopt_long's conventions. Each usage
# error prints one line, then the usage, to stderr and exits 78 without
# starting anything.
bad_usage() {
    local want=$1 rc=0
    shift
    "$HOT" "$@" >"$T/u.out" 2>"$T/u.err" || rc=$?
    [ "$rc" = 78 ] || fail "$* -> exit $rc, want 78"
    [ ! -s "$T/u.out" ] || fail "$*: stdout not empty"
    [ "$(head -n 1 "$T/u.err")" = "$want" ] || fail "$*: '$(head -n 1 "$T/u.err")', want '$want'"
    sed -n 2p "$T/u.err" | gq '^Usage: hot-store' || fail "$*: no usage after the error"
}
bad_usage "$HOT: unrecognized option '--bogus=1'" --bogus=1
bad_usage "$HOT: invalid option -- 'x'" -x
bad_usage "$HOT: option '--env-file' requires an argument" --check-config --env-file
bad_usage "$HOT: option '--version' doesn't allow an argument" --version=2
bad_usage "$HOT: option '--c' is ambiguous; possibilities: '--config' '--check-config'" --c
bad_usage "hot-store: unexpected argument 'extra'" --check-config extra
bad_usage "hot-store: unexpected argument '--version'" -- --version
"$HOT" -h | gq '^Usage: hot-store' || fail "-h"
[ "$("$HOT" --version --bogus)" = "$("$HOT" --version)" ] || fail "--version must act before --bogus"
[ "$("$HOT" extra --vers)" = "$("$HOT" --version)" ] || fail "--vers after a positional argument"
env -i "$HOT" --env="$T/hot.env" --check >"$T/check4.txt" 2>&1 || fail "--env=PATH --check"
grep -q '^HOT_DATABASE=hot2  # env_file' "$T/check4.txt" || fail "--env=PATH not read"
ok "command line: getopt-style errors (exit 78), prefixes, order of actions"
