#!/usr/bin/env python3
"""Slowloris against an HTTP port, for tests/e2e/test_collector_http_slow.sh.

usage: slowloris.py PORT CONNS SECONDS INTERVAL STATS_FILE

Keeps CONNS connections open to 127.0.0.1:PORT, each having sent the start
of a request and then one more header byte every INTERVAL seconds (never
completing the headers); a connection the server closes is reopened at
once. Runs SECONDS seconds, then writes "opened=N reopened=M max_open=K"
to STATS_FILE.
"""
import socket
import sys
import time

port, conns, secs, interval = (int(sys.argv[1]), int(sys.argv[2]),
                               float(sys.argv[3]), float(sys.argv[4]))
stats = sys.argv[5]
opened = reopened = max_open = 0


def connect():
    global opened
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        opened += 1
        return s
    except OSError:
        s.close()
        return None


socks = [connect() for _ in range(conns)]
end = time.monotonic() + secs
next_tick = time.monotonic()
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_tick:
        next_tick = now + interval
        for i, s in enumerate(socks):
            ok = False
            if s is not None:
                try:
                    s.sendall(b"X")
                    ok = True
                except OSError:
                    s.close()
            if not ok:
                socks[i] = connect()
                if socks[i] is not None:
                    reopened += 1
    max_open = max(max_open, sum(1 for s in socks if s is not None))
    time.sleep(0.05)
for s in socks:
    if s is not None:
        s.close()
with open(stats, "w") as f:
    f.write("opened=%d reopened=%d max_open=%d\n" % (opened, reopened, max_open))
