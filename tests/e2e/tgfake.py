#!/usr/bin/env python3
"""A fake Telegram Bot API for the end-to-end tests.

Listens on a free loopback port (written to --port-file), answers
POST /bot<token>/sendMessage, and appends one JSON line per request to
--log: {"n": <request number>, "token_ok": <path carried --token>,
"method": "sendMessage", "body": <the JSON body, or the raw text>}.
The path (which holds the token) is never written to the log.

POST /bot<token>/getUpdates answers the updates of --updates (a file of
JSON lines, re-read each time) whose update_id >= the request's offset,
after 0.3 s when there are none; these polls are logged to <log>.updates.

Behaviour comes from --mode-file, re-read on every request, so a test
can change it while the programs run:
  ok          200 {"ok":true,"result":{"message_id":<n>}}
  429:K       the first K requests get 429 with retry_after=1, then ok
  400         400 {"ok":false,"error_code":400,"description":"Bad Request:
              chat not found"}
  401echo     401 whose description echoes the request path (token
              included): the client must redact it
  500         500 with a JSON error
  nonjson     200 with an HTML body
  hang        accept, read the request, never answer (until killed)
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
COUNT = [0]


def mode():
    try:
        with open(ARGS.mode_file) as f:
            return f.read().strip() or "ok"
    except OSError:
        return "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def get_updates(self, body):
        offset = body.get("offset", 0) if isinstance(body, dict) else 0
        with open(ARGS.log + ".updates", "a") as f:
            f.write(json.dumps({"offset": offset,
                                "token_ok": self.path.startswith(
                                    "/bot" + ARGS.token + "/")}) + "\n")
        ups = []
        try:
            with open(ARGS.updates) as f:
                ups = [json.loads(l) for l in f if l.strip()]
        except OSError:
            pass
        ups = [u for u in ups if u["update_id"] >= offset]
        if not ups:
            time.sleep(0.3)
        self.reply(200, json.dumps({"ok": True, "result": ups}))

    def do_POST(self):
        n_len = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n_len).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        if self.path.endswith("/getUpdates"):
            self.get_updates(body)
            return
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            rec = {
                "n": n,
                "token_ok": self.path.startswith("/bot" + ARGS.token + "/"),
                "method": self.path.rsplit("/", 1)[-1],
                "body": body,
            }
            with open(ARGS.log, "a") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        m = mode()
        if m == "hang":
            while True:
                time.sleep(1)
        if m.startswith("429:") and n <= int(m[4:]):
            self.reply(429, json.dumps({
                "ok": False, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}))
        elif m == "400":
            self.reply(400, json.dumps({
                "ok": False, "error_code": 400,
                "description": "Bad Request: chat not found"}))
        elif m == "401echo":
            self.reply(401, json.dumps({
                "ok": False, "error_code": 401,
                "description": "Unauthorized: " + self.path}))
        elif m == "500":
            self.reply(500, json.dumps({
                "ok": False, "error_code": 500,
                "description": "Internal Server Error"}))
        elif m == "nonjson":
            self.reply(200, "<html>bad gateway</html>", "text/html")
        else:
            self.reply(200, json.dumps({
                "ok": True, "result": {"message_id": n}}))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode-file", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--updates", default="/nonexistent")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
