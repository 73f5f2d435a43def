#!/usr/bin/env bash
# Optional encryption end to end: OpenD (the simulator) and the collector
# share a 1024-bit RSA key; InitConnect travels RSA-encrypted and every
# later packet AES-CBC. Every tick still lands exactly once. A key that is
# not a 1024-bit RSA key is a configuration error (exit 78).
source "$(dirname "$0")/lib.sh"
e2e_init
src=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

# The test-only key from the protocol vectors.
sqlite3 :memory: "SELECT json_extract(readfile('$src/tests/data/opend-vectors.json'), '\$.rsa.private_key_pem_pkcs1');" >"$T/key.pem"
grep -q "BEGIN RSA PRIVATE KEY" "$T/key.pem" || fail "could not extract the test key"

start_sim --symbols HK.00700,HK.00005 --rate 200 --max-ticks 1000 --seed 12 \
    --rsa-key "$T/key.pem"
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 FUTU_RSA_KEY_FILE="$T/key.pem"
wait_log "futu_connected"
grep -q "opend_client_init conn_id=1 client_ver=300 enc=aes_cbc " "$T/sim.log" ||
    fail "simulator did not see an encrypted session: $(grep opend_client_init "$T/sim.log")"
wait_rows 1000 30
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
ok "RSA InitConnect + AES-CBC session"

echo "not a key" >"$T/bad.pem"
set +e
env -i PATH="$PATH" DATA_ROOT="$T/d2" FUTU_SYMBOLS=HK.00700 FUTU_RSA_KEY_FILE="$T/bad.pem" \
    FUTU_PORT="$PORT" HTTP_PORT=0 "$COLLECTOR" >"$T/bad.log" 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "bad key: exit $rc"
grep -q "config_error var=FUTU_RSA_KEY_FILE" "$T/bad.log" || fail "no config_error for the key"
ok "bad key file -> config_error, exit 78"
