#!/usr/bin/env bash
# Deployment kit (compat.md §10): the shipped systemd units pass
# `systemd-analyze verify`, the env examples document every collector
# variable with its default, the installers render units from their
# parameters in a scratch root, and the Python-era launcher execs the C
# collector.
#
# systemd-analyze verify needs ExecStart binaries that exist and it resolves
# User=/Group=; the test therefore renders copies of the units into a temp
# dir with ExecStart pointing at the built binaries (or an existing script /
# /bin/true for OpenD), WorkingDirectory at an existing directory, and
# User=/Group=root (hkcollector/futu do not exist on build hosts). Nothing
# else in the units is changed, so every directive is still checked.
source "$(dirname "$0")/lib.sh"
e2e_init
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
U="$ROOT/deploy/systemd"

command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed"

# --- shipped unit contents ------------------------------------------------
svc="$U/hk-tick-collector.service"
section_of() { # FILE KEY -> section holding KEY=
    awk -v k="$2" '/^\[/ { s = $0 } index($0, k "=") == 1 { print s; exit }' "$1"
}
for kv in "Type=notify" "NotifyAccess=main" "WatchdogSec=60" \
    "EnvironmentFile=-/etc/hk-tick-collector.env" \
    "ExecStart=/opt/futu_tick_downloader/bin/hk-tick-collector" \
    "Restart=always" "RestartSec=3" "TimeoutStopSec=120" "KillSignal=SIGINT" \
    "RestartPreventExitStatus=78" "User=hkcollector" "Group=hkcollector" \
    "UMask=0027" "NoNewPrivileges=true" "ProtectSystem=strict" \
    "ReadWritePaths=/data/sqlite/HK" "PrivateTmp=true" "PrivateDevices=true" \
    "ProtectHome=true" "ProtectControlGroups=true" "ProtectKernelModules=true" \
    "ProtectKernelTunables=true" "ProtectKernelLogs=true" "LockPersonality=true" \
    "RestrictRealtime=true" "RestrictSUIDSGID=true" "LimitNOFILE=65535" \
    "Requires=futu-opend.service" "WantedBy=multi-user.target"; do
    grep -qx -- "$kv" "$svc" || fail "$svc lacks $kv"
done
[ "$(section_of "$svc" StartLimitIntervalSec)" = "[Unit]" ] || fail "StartLimitIntervalSec not in [Unit]"
[ "$(section_of "$svc" StartLimitBurst)" = "[Unit]" ] || fail "StartLimitBurst not in [Unit]"
grep -qx "StartLimitIntervalSec=300" "$svc" && grep -qx "StartLimitBurst=5" "$svc" || fail "StartLimit values"
grep -qx "ExecStart=/opt/futu-opend/FutuOpenD -c /opt/futu-opend/OpenD.xml -no_monitor=1 -auto_hold_quote_right=1" \
    "$U/futu-opend.service" || fail "futu-opend ExecStart"
grep -qx "OnCalendar=\*-\*-\* 08:30:00 UTC" "$U/hk-tick-eod-archive.timer" || fail "timer OnCalendar"
grep -qx "Persistent=true" "$U/hk-tick-eod-archive.timer" || fail "timer Persistent"
grep -qx "Type=oneshot" "$U/hk-tick-eod-archive.service" || fail "eod oneshot"
grep -qx "ExecStart=/opt/futu_tick_downloader/deploy/scripts/eod_archive.sh" "$U/hk-tick-eod-archive.service" || fail "eod ExecStart"
grep -qx "ConditionPathExists=/opt/futu_tick_downloader/scripts/hk-tickctl" "$U/hk-tick-eod-archive.service" || fail "eod condition"
grep -qx "ReadWritePaths=/data/sqlite/HK /tmp" "$U/hk-tick-eod-archive.service" || fail "eod ReadWritePaths"
# The drain limit stays below the stop timeout.
stop=$("$COLLECTOR" --help-config | awk -F'|' '$2 ~ /STOP_FLUSH_TIMEOUT_SEC/ { gsub(/[ `]/, "", $3); print $3 }')
[ "$stop" -lt 120 ] || fail "STOP_FLUSH_TIMEOUT_SEC default $stop >= TimeoutStopSec 120"
ok "unit directives as specified (Type=notify, StartLimit* in [Unit], $stop < 120)"

# --- systemd-analyze verify on rendered copies ------------------------------
R="$T/units"
mkdir -p "$R" "$T/wd"
render_for_test() { # SRC -> stdout
    sed -e "s#^ExecStart=/opt/futu_tick_downloader/bin/hk-tick-collector#ExecStart=$COLLECTOR#" \
        -e "s#^ExecStart=/opt/futu_tick_downloader/deploy/scripts/eod_archive.sh#ExecStart=$ROOT/deploy/scripts/eod_archive.sh#" \
        -e "s#^ExecStart=/opt/futu-opend/FutuOpenD #ExecStart=/bin/true #" \
        -e "s#^WorkingDirectory=.*#WorkingDirectory=$T/wd#" \
        -e "s#^User=.*#User=root#" -e "s#^Group=.*#Group=root#" "$1"
}
for f in hk-tick-collector.service futu-opend.service hk-tick-eod-archive.service hk-tick-eod-archive.timer; do
    render_for_test "$U/$f" >"$R/$f"
done
out=$(cd "$R" && systemd-analyze verify ./hk-tick-collector.service ./futu-opend.service \
    ./hk-tick-eod-archive.service ./hk-tick-eod-archive.timer 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warnings: $out"
ok "systemd-analyze verify: 4 units, no warnings"
# The check has teeth: StartLimit* in [Service] is reported.
sed 's/^\[Service\]/[Service]\nStartLimitIntervalSec=300/' "$R/hk-tick-collector.service" >"$R/bad.service"
out=$(cd "$R" && systemd-analyze verify ./bad.service ./futu-opend.service 2>&1 || true)
grep -q "Unknown key 'StartLimitIntervalSec' in section \[Service\]" <<<"$out" || fail "bad unit not reported: $out"
ok "systemd-analyze reports StartLimitIntervalSec in [Service]"

# --- env examples -------------------------------------------------------------
E1="$ROOT/deploy/env/hk-tick-collector.env.example"
for f in "$ROOT/.env.example" "$ROOT/deploy/env/.env.example"; do
    cmp -s "$E1" "$f" || fail "$f differs from $E1 (run deploy/scripts/gen_env_example.sh)"
done
"$COLLECTOR" --help-config | awk -F'|' 'NR > 2 && NF >= 5 { n = $2; d = $3; gsub(/[ `]/, "", n); gsub(/^ +| +$/, "", d); gsub(/`/, "", d); if (d == "(empty)") d = ""; print n "\t" d }' >"$T/vars"
nvars=$(wc -l <"$T/vars")
[ "$nvars" -ge 40 ] || fail "only $nvars variables in --help-config"
while IFS=$'\t' read -r name dflt; do
    grep -Eq "^#?${name}=" "$E1" || fail "$name missing from $E1"
    grep -Fq "(default: ${dflt:-empty})" "$E1" || fail "$name default $dflt not documented"
    if [ "$name" != FUTU_SYMBOLS ]; then
        grep -Eqx "#?${name}=${dflt//./\\.}" "$E1" || fail "$name=$dflt line missing"
    fi
done <"$T/vars"
bash "$ROOT/deploy/scripts/gen_env_example.sh" "$COLLECTOR" "$T/gen.env"
cmp -s "$T/gen.env" "$E1" || fail "env example out of date: $(diff "$T/gen.env" "$E1" | head -5)"
# The example is a valid configuration for the collector (only the symbols
# are needed): it starts and exits 0 on SIGINT... without OpenD it just
# retries; checking the config parser is enough: no config_error.
( set -a; . "$E1"; set +a; DATA_ROOT="$T/envdata" FUTU_PORT=1 timeout -s INT 2 "$COLLECTOR" >"$T/envrun.log" 2>&1 ) || true
! grep -q config_error "$T/envrun.log" || fail "example env rejected: $(grep config_error "$T/envrun.log")"
grep -q "collector_started" "$T/envrun.log" || fail "collector did not start with the example env"
ok "env examples: all $nvars variables with defaults, identical copies, in sync, accepted"

# --- installers in a scratch root -------------------------------------------
APP="$T/app"
mkdir -p "$APP/bin" "$APP/scripts"
cp "$COLLECTOR" "$CTL" "$APP/bin/"
cp "$ROOT/.env.example" "$APP/.env.example"
cp "$ROOT/scripts/hk-tickctl" "$APP/scripts/"
DEST="$T/root"
run_install() {
    env DESTDIR="$DEST" NO_SYSTEMCTL=1 SKIP_USER=1 APP_DIR="$APP" "$@"
}
out=$(run_install ENV_FILE=/etc/hk-tick-collector.env bash "$ROOT/deploy/scripts/install.sh")
grep -qx "\[OK\] installed hk-tick-collector.service" <<<"$out" || fail "install: $out"
grep -qx "\[INFO\] env_file=/etc/hk-tick-collector.env" <<<"$out" || fail "install env line: $out"
unit="$DEST/etc/systemd/system/hk-tick-collector.service"
[ -f "$unit" ] || fail "unit not rendered"
grep -qx "ExecStart=$APP/bin/hk-tick-collector" "$unit" || fail "ExecStart not rendered"
grep -qx "WorkingDirectory=$APP" "$unit" || fail "WorkingDirectory not rendered"
grep -qx "EnvironmentFile=-/etc/hk-tick-collector.env" "$unit" || fail "EnvironmentFile"
[ "$(stat -c %a "$DEST/data/sqlite/HK")" = 750 ] || fail "DATA_ROOT mode $(stat -c %a "$DEST/data/sqlite/HK")"
[ "$(stat -c %a "$DEST/etc/hk-tick-collector.env")" = 640 ] || fail "env mode"
grep -qx "DATA_ROOT=/data/sqlite/HK" "$DEST/etc/hk-tick-collector.env" || fail "env DATA_ROOT"
[ -f "$DEST/etc/systemd/system/futu-opend.service" ] || fail "OpenD unit not installed"
ok "install.sh: unit rendered, DATA_ROOT 0750, env file 0640, OpenD unit"

# Custom parameters (runbook: ENV_FILE=/opt/futu_tick_downloader/.env) via
# ops/install_collector.sh; idempotent; existing env file kept.
custom() {
    run_install ENV_FILE="$APP/.env" RUN_USER=svcuser RUN_GROUP=svcgroup \
        DATA_ROOT=/srv/ticks SERVICE_NAME=hk-test FUTU_SERVICE_NAME=opend-test \
        bash "$ROOT/ops/install_collector.sh"
}
out=$(custom)
cu="$DEST/etc/systemd/system/hk-test.service"
grep -qx "\[OK\] installed hk-test.service" <<<"$out" || fail "custom install: $out"
grep -qx "\[INFO\] env_file=$APP/.env" <<<"$out" || fail "custom env line: $out"
for kv in "EnvironmentFile=-$APP/.env" "User=svcuser" "Group=svcgroup" "ReadWritePaths=/srv/ticks" \
    "Requires=opend-test.service" "ExecStart=$APP/bin/hk-tick-collector"; do
    grep -qx -- "$kv" "$cu" || fail "custom unit lacks $kv"
done
grep -qx "DATA_ROOT=/srv/ticks" "$DEST$APP/.env" || fail "custom env DATA_ROOT"
[ "$(stat -c %a "$DEST/srv/ticks")" = 750 ] || fail "custom DATA_ROOT mode"
echo "FUTU_SYMBOLS=HK.09988" >>"$DEST$APP/.env"
cp "$cu" "$T/unit1"
custom >/dev/null
cmp -s "$cu" "$T/unit1" || fail "re-run changed the unit"
grep -qx "FUTU_SYMBOLS=HK.09988" "$DEST$APP/.env" || fail "re-run overwrote the env file"
ok "ops/install_collector.sh: parameters rendered (EnvironmentFile=-<ENV_FILE>), idempotent"

# The installer's output also passes systemd-analyze (with the test users).
render_for_test "$unit" | sed "s#^ReadWritePaths=.*#ReadWritePaths=$DEST/data/sqlite/HK#" >"$R/hk-tick-collector.service"
out=$(cd "$R" && systemd-analyze verify ./hk-tick-collector.service ./futu-opend.service 2>&1) || fail "rendered: $out"
[ -z "$out" ] || fail "rendered unit warnings: $out"
ok "rendered unit passes systemd-analyze verify"

# Root is required.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    set +e
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env APP_DIR="$APP" bash "$ROOT/deploy/scripts/install.sh" 2>&1)
    rc=$?
    set -e
    [ "$rc" = 1 ] && [ "$out" = "[FAIL] please run as root" ] || fail "non-root: $rc $out"
    ok "non-root: [FAIL] please run as root (1)"
fi

# EOD archive installer.
out=$(env DESTDIR="$DEST" NO_SYSTEMCTL=1 APP_DIR="$APP" RAW_KEEP_DAYS=5 bash "$ROOT/deploy/scripts/install_eod_archive.sh")
grep -qx "\[OK\] installed hk-tick-eod-archive.timer" <<<"$out" || fail "eod install: $out"
ee="$DEST/etc/hk-tick-eod-archive.env"
[ "$(stat -c %a "$ee")" = 640 ] || fail "eod env mode"
grep -qx "RAW_KEEP_DAYS=5" "$ee" && grep -qx "REPO_ROOT=$APP" "$ee" || fail "eod env content"
grep -qx "ExecStart=$APP/deploy/scripts/eod_archive.sh" "$DEST/etc/systemd/system/hk-tick-eod-archive.service" ||
    fail "eod unit not rendered"
[ -f "$DEST/etc/systemd/system/hk-tick-eod-archive.timer" ] || fail "timer not installed"
ok "install_eod_archive.sh: unit, timer, env 0640"

# --- Python-era launcher ------------------------------------------------------
[ -z "$(grep -v '^#' "$ROOT/requirements.txt" | tr -d '[:space:]')" ] || fail "requirements.txt must be comment-only"
if command -v python3 >/dev/null; then
    set +e
    (cd "$ROOT" && HK_TICK_COLLECTOR_BIN="$COLLECTOR" FUTU_SYMBOLS= DATA_ROOT="$T/py" \
        python3 -m hk_tick_collector.main >"$T/py.log" 2>&1)
    rc=$?
    set -e
    [ "$rc" = 78 ] || fail "launcher exit $rc, want 78 (config error passed through)"
    grep -q "FUTU_SYMBOLS is empty" "$T/py.log" || fail "launcher: no FUTU_SYMBOLS is empty"
    (cd "$ROOT" && exec env HK_TICK_COLLECTOR_BIN="$COLLECTOR" FUTU_SYMBOLS=HK.00700 FUTU_PORT=1 \
        DATA_ROOT="$T/py" python3 -m hk_tick_collector.main >"$T/py2.log" 2>&1) &
    pid=$!
    E2E_PIDS+=("$pid")
    for _ in $(seq 1 50); do
        [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$COLLECTOR")" ] && break
        sleep 0.1
    done
    [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$COLLECTOR")" ] || fail "launcher did not exec the collector"
    # A signal before main() runs cannot be handled by any program: wait
    # until the collector is up (slow under sanitizers) before SIGINT.
    for _ in $(seq 1 100); do
        grep -q "collector_started" "$T/py2.log" 2>/dev/null && break
        sleep 0.1
    done
    kill -INT "$pid"
    set +e
    wait "$pid"
    rc=$?
    set -e
    [ "$rc" = 0 ] || fail "collector under the launcher exit $rc on SIGINT"
    ok "python -m hk_tick_collector.main execs the collector (same PID, exit codes)"
fi
