#!/usr/bin/env bash
# deploy.sh - bare-metal deployment of qte-engine (runbook 003; no Docker).
#
#   deploy.sh deploy full     install everything below and start it
#   deploy.sh deploy engine   reinstall the binary and restart
#   deploy.sh rollback FILE   stop, `qte-engine rollback FILE`, start
#   deploy.sh start | stop | status
#
# `deploy full`, in order: /opt/qte/{bin,config,logs,backups,data,reports,
# run,scripts,deployment,docs} and /var/log/qte; the binary (QTE_BIN,
# default build/bin/qte-engine of this checkout) and the example
# strategies; a local CA and a `localhost` certificate in
# deployment/nginx/ssl/ (kept when still valid for 30 days), the CA put
# into the system trust store (update-ca-certificates) so `curl
# https://localhost...` works without -k; PostgreSQL started with a `qte`
# role and database (unless QTE_DATABASE_URL is given, or QTE_STORE=sqlite);
# redis-server started when installed (unless REDIS_URL is given); the
# config /opt/qte/config/qte.env (from deployment/config/qte.env); an
# `admin` API key when none exists (printed once, also saved 0600 in
# /opt/qte/config/admin.key); the nginx site (TLS on 443 -> the API); the
# systemd unit, logrotate file and cron jobs; then the engine is started
# (systemd when it runs, else in the background with a pid file), waited
# for until /health answers 200, and a first backup is taken so rollback
# has something to restore.
#
# Settings (environment): DATA_ROOT (/data/sqlite/HK), QTE_DAYS (default:
# the newest day file), QTE_SYMBOLS (default: that day's symbols, at most
# 20), QTE_MODE (backtest), QTE_SPEED (1), QTE_STRATEGY (ma_cross),
# QTE_STRATEGY_PARAMS, QTE_SLOW_MS (5), QTE_HTTP_PORT (8080),
# QTE_ADMIN_PORT (8081), QTE_HTTPS_PORT (443), QTE_DATABASE_URL,
# REDIS_URL, QTE_STORE (postgres|sqlite).
# QTE_PREFIX=DIR installs below DIR instead of / (a staging root: nothing
# outside it is touched, services are started as plain processes, the CA
# goes into DIR/etc/ssl/certs/ca-certificates.crt instead of the system
# store). The runbook-003 test uses it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$here/../.." && pwd)
P=${QTE_PREFIX:-}
ROOT=$P/opt/qte
BIN=$ROOT/bin/qte-engine
CONF=$ROOT/config/qte.env
SSL=$REPO/deployment/nginx/ssl
HTTP_PORT=${QTE_HTTP_PORT:-8080}
ADMIN_PORT=${QTE_ADMIN_PORT:-8081}
HTTPS_PORT=${QTE_HTTPS_PORT:-443}

log() { echo "deploy: $*"; }
die() {
    echo "deploy: $*" >&2
    exit 1
}
have_systemd() { [ -z "$P" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }
need_root() { [ "$(id -u)" = 0 ] || [ -n "$P" ] || die "run as root (sudo bash $0 $*)"; }

install_tree() {
    local src=${QTE_BIN:-$REPO/build/bin/qte-engine}
    [ -x "$src" ] || die "$src not found: build first (make build) or set QTE_BIN"
    mkdir -p "$ROOT"/{bin,config,logs,backups,data,reports,run,scripts,docs,lib/strategies} \
        "$P/var/log/qte"
    chmod 0750 "$ROOT/config" "$ROOT/backups" "$P/var/log/qte"
    install -m 0755 "$src" "$BIN.new" && mv -f "$BIN.new" "$BIN"
    for so in "$REPO"/build/strategies/*.so; do
        [ -e "$so" ] && install -m 0644 "$so" "$ROOT/lib/strategies/"
    done
    mkdir -p "$ROOT/deployment"
    cp -a "$REPO/deployment/." "$ROOT/deployment/"
    install -m 0755 "$REPO/deployment/scripts/health_check.sh" "$ROOT/scripts/health_check.sh"
    [ -f "$REPO/docs/engine-ops.md" ] && cp "$REPO/docs/engine-ops.md" "$ROOT/docs/"
    log "installed $BIN"
}

make_tls() {
    mkdir -p "$SSL"
    if [ -f "$SSL/qte.crt" ] && [ -f "$SSL/ca.crt" ] &&
        openssl x509 -in "$SSL/qte.crt" -noout -checkend $((30 * 86400)) >/dev/null; then
        log "certificate $SSL/qte.crt kept (valid for 30 days or more)"
    else
        (
            cd "$SSL"
            umask 077
            openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=QTE local CA" \
                -keyout ca.key -out ca.crt \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
                -keyout qte.key -out qte.csr 2>/dev/null
            printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
                "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE" >qte.ext
            openssl x509 -req -in qte.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 825 -out qte.crt -extfile qte.ext 2>/dev/null
            rm -f qte.csr qte.ext
            chmod 0644 qte.crt ca.crt
        )
        log "created a local CA and a localhost certificate in $SSL"
    fi
    mkdir -p "$ROOT/deployment/nginx/ssl"
    cp "$SSL"/{qte.crt,qte.key,ca.crt} "$ROOT/deployment/nginx/ssl/"
    chmod 0600 "$ROOT/deployment/nginx/ssl/qte.key"
}

install_ca() {
    mkdir -p "$P/usr/local/share/ca-certificates"
    cp "$SSL/ca.crt" "$P/usr/local/share/ca-certificates/qte-local-ca.crt"
    if [ -z "$P" ]; then
        update-ca-certificates >/dev/null
        log "local CA added to the system trust store"
    else
        mkdir -p "$P/etc/ssl/certs"
        cat /etc/ssl/certs/ca-certificates.crt "$SSL/ca.crt" >"$P/etc/ssl/certs/ca-certificates.crt"
        log "local CA bundle: $P/etc/ssl/certs/ca-certificates.crt (staging root: system store untouched)"
    fi
}

setup_postgres() {
    if [ "${QTE_STORE:-}" = sqlite ]; then
        QTE_DATABASE_URL=
        return
    fi
    if [ -n "${QTE_DATABASE_URL:-}" ]; then
        log "PostgreSQL: using the given QTE_DATABASE_URL"
        return
    fi
    if [ -n "$P" ] || ! command -v pg_ctlcluster >/dev/null; then
        log "PostgreSQL: not managed here (staging root or not installed): SQLite store"
        return
    fi
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
    [ -n "$ver" ] || die "PostgreSQL installed without a cluster (pg_createcluster)"
    if have_systemd; then systemctl start postgresql; else pg_ctlcluster "$ver" main start 2>/dev/null || true; fi
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    local pwf=$ROOT/config/db.password
    [ -s "$pwf" ] || (umask 077 && openssl rand -hex 16 >"$pwf")
    local pw
    pw=$(cat "$pwf")
    runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='qte'" | grep -q 1 ||
        runuser -u postgres -- psql -qc "CREATE ROLE qte LOGIN PASSWORD '$pw'"
    runuser -u postgres -- psql -qc "ALTER ROLE qte PASSWORD '$pw'"
    runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_database WHERE datname='qte'" | grep -q 1 ||
        runuser -u postgres -- createdb -O qte qte
    QTE_DATABASE_URL="postgresql://qte:$pw@127.0.0.1:5432/qte"
    log "PostgreSQL $ver: role and database qte ready"
}

setup_redis() {
    if [ -n "${REDIS_URL:-}" ] || [ -n "$P" ] || ! command -v redis-server >/dev/null; then
        return
    fi
    if have_systemd; then
        systemctl start redis-server
    elif ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
        redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null
    fi
    REDIS_URL=redis://127.0.0.1:6379/0
    log "Redis: $REDIS_URL"
}

pick_days_symbols() {
    DATA_ROOT=${DATA_ROOT:-/data/sqlite/HK}
    if [ -z "${QTE_DAYS:-}" ]; then
        local f
        f=$(ls "$DATA_ROOT" 2>/dev/null | grep -E '^[0-9]{8}\.db$' | sort | tail -n 1 || true)
        [ -n "$f" ] || die "no day file in $DATA_ROOT: set DATA_ROOT or QTE_DAYS"
        QTE_DAYS=${f%.db}
    fi
    if [ -z "${QTE_SYMBOLS:-}" ]; then
        local day=${QTE_DAYS%%,*}
        QTE_SYMBOLS=$(sqlite3 "file:$DATA_ROOT/$day.db?mode=ro" \
            "SELECT DISTINCT symbol FROM ticks ORDER BY symbol LIMIT 20" | paste -sd, -)
        [ -n "$QTE_SYMBOLS" ] || die "no symbols in $DATA_ROOT/$day.db: set QTE_SYMBOLS"
    fi
}

write_config() {
    local strategy=${QTE_STRATEGY-$ROOT/lib/strategies/ma_cross.so}
    [ -z "$strategy" ] || [ -f "$strategy" ] || strategy=
    local sqlite=""
    [ -n "${QTE_DATABASE_URL:-}" ] || sqlite=$ROOT/data/qte.db
    local tmp=$CONF.tmp
    (umask 027 && sed -e "s|@ROOT@|$ROOT|g" -e "s|@PREFIX@|$P|g" \
        -e "s|@DATA_ROOT@|$DATA_ROOT|" -e "s|@QTE_DAYS@|$QTE_DAYS|" \
        -e "s|@QTE_SYMBOLS@|$QTE_SYMBOLS|" -e "s|@QTE_MODE@|${QTE_MODE:-backtest}|" \
        -e "s|@QTE_SPEED@|${QTE_SPEED:-1}|" -e "s|@QTE_STRATEGY@|$strategy|" \
        -e "s|@QTE_STRATEGY_PARAMS@|${QTE_STRATEGY_PARAMS:-}|" \
        -e "s|@QTE_SQLITE_PATH@|$sqlite|" -e "s|@QTE_DATABASE_URL@|${QTE_DATABASE_URL:-}|" \
        -e "s|@REDIS_URL@|${REDIS_URL:-}|" -e "s|@QTE_HTTP_PORT@|$HTTP_PORT|" \
        -e "s|@QTE_ADMIN_PORT@|$ADMIN_PORT|" -e "s|@QTE_SLOW_MS@|${QTE_SLOW_MS:-5}|" \
        "$REPO/deployment/config/qte.env" >"$tmp")
    "$BIN" serve --config "$tmp" --check-config >/dev/null || die "the rendered $tmp is invalid"
    mv -f "$tmp" "$CONF"
    printf 'QTE_PREFIX=%q\nQTE_HTTP_PORT=%s\nQTE_ADMIN_PORT=%s\nQTE_HTTPS_PORT=%s\n' \
        "$P" "$HTTP_PORT" "$ADMIN_PORT" "$HTTPS_PORT" >"$ROOT/config/deploy.env"
    log "config $CONF (days $QTE_DAYS, symbols $QTE_SYMBOLS)"
}

install_keys() {
    if "$BIN" keys list --config "$CONF" | grep -q '^admin '; then
        log "admin API key kept ($ROOT/config/keys)"
        return
    fi
    (umask 077 && "$BIN" keys generate admin --config "$CONF" 2>/dev/null >"$ROOT/config/admin.key")
    log "admin API key created: $(cat "$ROOT/config/admin.key") (also in $ROOT/config/admin.key, 0600)"
}

install_nginx() {
    local site=$P/etc/nginx/sites-available/qte
    mkdir -p "$P/etc/nginx/sites-available" "$P/etc/nginx/sites-enabled" "$P/var/log/nginx"
    sed -e "s|/opt/qte|$ROOT|g" -e "s|/var/log/nginx|$P/var/log/nginx|g" \
        -e "s|listen 443 ssl;|listen $HTTPS_PORT ssl;|" \
        -e "s|127.0.0.1:8080;|127.0.0.1:$HTTP_PORT;|" \
        "$REPO/deployment/nginx/qte.conf" >"$site"
    ln -sfn "$site" "$P/etc/nginx/sites-enabled/qte"
    if [ -z "$P" ]; then
        nginx -t -q || die "nginx -t failed"
        if have_systemd; then systemctl reload-or-restart nginx; else nginx -s reload 2>/dev/null || nginx; fi
    else
        mkdir -p "$P/run" "$P/var/lib/nginx"
        cat >"$P/etc/nginx/nginx.conf" <<NGINX
# Staging-root nginx (deploy.sh with QTE_PREFIX): the site of /etc/nginx
# with its own pid and temp paths.
worker_processes 1;
pid $P/run/nginx.pid;
error_log $P/var/log/nginx/error.log;
events { worker_connections 256; }
http {
    client_body_temp_path $P/var/lib/nginx/body;
    proxy_temp_path $P/var/lib/nginx/proxy;
    fastcgi_temp_path $P/var/lib/nginx/fastcgi;
    uwsgi_temp_path $P/var/lib/nginx/uwsgi;
    scgi_temp_path $P/var/lib/nginx/scgi;
    include $P/etc/nginx/sites-enabled/*;
}
NGINX
        nginx -t -q -c "$P/etc/nginx/nginx.conf" -p "$P/" || die "nginx -t failed"
        if [ -s "$P/run/nginx.pid" ] && kill -0 "$(cat "$P/run/nginx.pid")" 2>/dev/null; then
            nginx -c "$P/etc/nginx/nginx.conf" -p "$P/" -s reload
        else
            nginx -c "$P/etc/nginx/nginx.conf" -p "$P/"
        fi
    fi
    log "nginx: https://localhost:$HTTPS_PORT -> 127.0.0.1:$HTTP_PORT"
}

install_system_files() {
    mkdir -p "$P/etc/systemd/system" "$P/etc/logrotate.d" "$P/etc/cron.d"
    sed "s|/opt/qte|$ROOT|g; s|/var/log/qte|$P/var/log/qte|g" \
        "$REPO/deployment/systemd/qte-engine.service" >"$P/etc/systemd/system/qte-engine.service"
    sed "s|/opt/qte|$ROOT|g; s|/var/log/qte|$P/var/log/qte|g" \
        "$REPO/deployment/logrotate/qte-engine" >"$P/etc/logrotate.d/qte-engine"
    sed "s|/opt/qte|$ROOT|g; s|/var/log/qte|$P/var/log/qte|g" \
        "$REPO/deployment/cron/qte" >"$P/etc/cron.d/qte"
    if have_systemd; then
        systemctl daemon-reload
        systemctl enable qte-engine.service >/dev/null 2>&1
    fi
}

engine_pid() {
    local f=$ROOT/run/qte-engine.pid
    [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

stop_engine() {
    if have_systemd; then
        systemctl stop qte-engine.service
        return
    fi
    local pid
    pid=$(engine_pid) || return 0
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && die "qte-engine ($pid) did not stop"
    rm -f "$ROOT/run/qte-engine.pid"
    log "engine stopped"
}

start_engine() {
    if have_systemd; then
        systemctl restart qte-engine.service
    else
        stop_engine
        nohup "$BIN" serve --config "$CONF" >>"$ROOT/logs/stdout.log" 2>&1 </dev/null &
        echo $! >"$ROOT/run/qte-engine.pid"
    fi
    for _ in $(seq 1 300); do
        if curl -skf -o /dev/null "https://127.0.0.1:$HTTP_PORT/health"; then
            log "engine up: https://127.0.0.1:$HTTP_PORT (admin $ADMIN_PORT)"
            return
        fi
        engine_pid >/dev/null || have_systemd || die "qte-engine exited: $(tail -n 3 "$ROOT/logs/qte.log" 2>/dev/null)"
        sleep 0.1
    done
    die "qte-engine did not answer /health in 30 s"
}

cmd_deploy() {
    local what=${1:-full}
    case "$what" in
    full)
        install_tree
        make_tls
        install_ca
        setup_postgres
        setup_redis
        pick_days_symbols
        write_config
        install_keys
        install_system_files
        start_engine
        install_nginx
        "$BIN" backup --config "$CONF" | sed 's/^/deploy: first backup /'
        log "done"
        ;;
    engine)
        install_tree
        start_engine
        ;;
    *) die "usage: deploy.sh deploy full|engine" ;;
    esac
}

cmd_rollback() {
    local f=${1:-}
    [ -n "$f" ] && [ -f "$f" ] || die "usage: deploy.sh rollback FILE.tar.gz (ls -t $ROOT/backups/*.tar.gz)"
    stop_engine
    "$BIN" rollback "$f" --config "$CONF" | sed 's/^/deploy: /'
    start_engine
    log "rolled back to $f"
}

case "${1:-}" in
deploy)
    need_root "$@"
    cmd_deploy "${2:-full}"
    ;;
rollback)
    need_root "$@"
    cmd_rollback "${2:-}"
    ;;
start) start_engine ;;
stop) stop_engine ;;
status)
    if pid=$(engine_pid); then log "qte-engine running (pid $pid)"; else log "qte-engine not running"; fi
    "$BIN" healthcheck --config "$CONF" || true
    ;;
*)
    echo "usage: deploy.sh deploy full|engine | rollback FILE | start | stop | status" >&2
    exit 2
    ;;
esac
