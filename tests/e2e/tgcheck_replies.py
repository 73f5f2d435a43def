#!/usr/bin/env python3
"""Check the replies of test_collector_telegram.sh's interactive scenario.

Usage: tgcheck_replies.py REQUESTS.jsonl SKIP
Reads the fake Bot API's request log after the first SKIP requests and
asserts the exact replies sent to the command topic (thread 9).
"""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
replies = [r["body"] for r in rows
           if isinstance(r["body"], dict)
           and r["body"].get("message_thread_id") == 9]
texts = [b["text"] for b in replies]
assert all(b["chat_id"] == "-100555" for b in replies), replies
# db_stats, symbol, rm (denied), bad symbol (denied), top_symbols (rate
# limited); /help counted in the rate limit too.
assert len(texts) == 6, texts
db = [t for t in texts if t.startswith("[e2e-hk] /db_stats\n")]
assert db and "=== DB 統計 ===" in db[0] and "\nrows=" in db[0], texts
sy = [t for t in texts if t.startswith("[e2e-hk] /symbol\n")]
lines = sy[0].split("\n") if sy else []
assert lines[1:2] == ["symbol,ts_hkt,price,volume,turnover,seq"], texts
assert len(lines) == 4 and lines[2].startswith("HK.00700,"), sy
assert "[e2e-hk] /rm: not allowed (try /help)" in texts, texts
assert "[e2e-hk] /symbol: bad symbol (want e.g. HK.00700)" in texts, texts
hl = [t for t in texts if t.startswith("[e2e-hk] /help\n")]
assert hl and "/symbol SYM [N]" in hl[0], texts
assert "[e2e-hk] /top_symbols: rate limited, try later" in texts, texts
