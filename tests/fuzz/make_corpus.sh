#!/usr/bin/env bash
# make_corpus.sh - (re)generate the fuzz seed corpora from the test vectors.
#
#   tests/fuzz/make_corpus.sh [VECTORS_JSON [OUT_DIR]]
#
# Defaults: tests/data/opend-vectors.json and tests/fuzz/corpus. Writes
#   corpus/frame/   one file per packet: control byte + packet bytes (see
#                   fuzz_frame.c: 00 = whole, 01 = byte by byte, 07 = chunks
#                   of 1-7; 40 = AES-CBC, 80 = FTAES-ECB, c0 = CBC + RSA),
#                   plus all plaintext packets back to back;
#   corpus/hktime/  one file per time string (no trailing newline).
# Needs jq, xxd and sha1sum. Output is deterministic, so re-running it on
# unchanged vectors leaves the committed files unchanged.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vectors=${1:-$here/../data/opend-vectors.json}
out=${2:-$here/corpus}

for tool in jq xxd sha1sum; do
    command -v "$tool" >/dev/null || { echo "make_corpus: need $tool" >&2; exit 1; }
done

mkdir -p "$out/frame" "$out/hktime"

# seed FILE CTL_HEX PAYLOAD_HEX: control byte then payload, as binary.
seed() {
    printf '%s%s' "$2" "$3" | xxd -r -p >"$1"
}

# u32le N: 8 hex digits, little-endian.
u32le() {
    local h
    h=$(printf '%08x' "$1")
    printf '%s%s%s%s' "${h:6:2}" "${h:4:2}" "${h:2:2}" "${h:0:2}"
}

all=""
while IFS=$'\t' read -r name hex; do
    seed "$out/frame/$name" 00 "$hex"
    all+=$hex
done < <(jq -r '.packets[] | [.name, .packet_hex] | @tsv' "$vectors")
seed "$out/frame/all_packets" 00 "$all"
seed "$out/frame/all_packets_chunks13" 0d "$all"

# A few single packets fed one byte at a time and in small chunks.
for name in keepalive_request qot_update_ticker_push_one \
            qot_get_ticker_response_two init_connect_response_with_iv; do
    hex=$(jq -r --arg n "$name" '.packets[] | select(.name == $n) |
                                 .packet_hex' "$vectors")
    seed "$out/frame/${name}.bytewise" 01 "$hex"
    seed "$out/frame/${name}.chunks7" 07 "$hex"
done

# Encrypted KeepAlive packets, each under its own mode.
while IFS=$'\t' read -r name mode hex; do
    case $mode in
    AES_CBC) ctl=40 ;;
    FTAES_ECB) ctl=80 ;;
    *) echo "make_corpus: unknown mode $mode" >&2; exit 1 ;;
    esac
    seed "$out/frame/$name" "$ctl" "$hex"
done < <(jq -r '.encrypted_packets[] | [.name, .mode, .packet_hex] | @tsv' \
            "$vectors")

# RSA InitConnect bodies framed by hand: header SHA1 over the plaintext.
while IFS=$'\t' read -r name plain cipher; do
    sha=$(printf '%s' "$plain" | xxd -r -p | sha1sum | cut -c1-40)
    hdr=4654$(u32le 1001)0000$(u32le 1)$(u32le $((${#cipher} / 2)))
    hdr+=${sha}0000000000000000
    seed "$out/frame/$name" c0 "$hdr$cipher"
done < <(jq -r '.rsa.vectors[] | [.name, .plaintext_hex, .ciphertext_hex] |
                @tsv' "$vectors")

# Time strings: the vectors' own, then one of each accepted form.
i=0
while IFS= read -r ts; do
    printf '%s' "$ts" >"$out/hktime/vector_$i"
    i=$((i + 1))
done < <(jq -r '.time_strings.vectors[].time_string' "$vectors")
i=0
for ts in "2024-03-01 10:00:01.456" "2024-03-01T10:00:00Z" \
          "2024/03/01 10:00:00:123" "2024-03-01 10:00:00+08:00" \
          "2024-03-01 10:00:00.123456-0500" "20240301100000" \
          "20240301100000.5+0800" "10:00:00.123" "100000" \
          "1709258400123" "1709258400" "2024-02-29 23:59:59" \
          "2024-03-10 02:30:00" "2024-11-03 01:30:00" "2024-03-01"; do
    printf '%s' "$ts" >"$out/hktime/form_$i"
    i=$((i + 1))
done
echo "make_corpus: $(ls "$out/frame" | wc -l) frame seeds," \
     "$(ls "$out/hktime" | wc -l) hktime seeds in $out"
