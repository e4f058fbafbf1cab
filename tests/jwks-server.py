#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A test OIDC issuer's key server for tests/issuer-refresh.sh ONLY: serves the files of ROOT
# (ROOT/.well-known/openid-configuration, ROOT/jwks.json, ...) on 127.0.0.1, and misbehaves as
# the one word in ROOT/mode says (read at each request):
#   ok        the file (404 when missing)
#   500       HTTP 500
#   garbage   200 with a body that is not JSON
#   huge      200 with 300 KiB and no Content-Length (the client must stop counting bytes)
#   huge-cl   200 announcing 300 KiB in Content-Length
#   hang      accepts, then says nothing for 60 s
#   redirect  302 to the same path over plain http (redirects must go to https only)
# Python 3 standard library only.
#
#   jwks-server.py ROOT PORT-FILE   listens on a port the kernel picks, written to PORT-FILE.

import http.server
import os
import sys
import time

ROOT = sys.argv[1]
HUGE = 300 * 1024


def mode():
    try:
        with open(os.path.join(ROOT, "mode")) as f:
            return f.read().strip() or "ok"
    except FileNotFoundError:
        return "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "jwks-fixture/1"

    def answer(self, code, body, length=True):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        m = mode()
        if m == "500":
            return self.answer(500, b'{"error": "internal"}')
        if m == "garbage":
            return self.answer(200, b"<html>this is not a key set</html>")
        if m in ("huge", "huge-cl"):
            return self.answer(200, b'{"keys": [], "pad": "' + b"x" * HUGE + b'"}', length=(m == "huge-cl"))
        if m == "hang":
            time.sleep(60)
            return None
        if m == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%d%s" % (self.server.server_port, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        path = os.path.normpath(os.path.join(ROOT, self.path.lstrip("/")))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            return self.answer(404, b'{"error": "not found"}')
        with open(path, "rb") as f:
            return self.answer(200, f.read())

    def log_message(self, fmt, *args):
        sys.stderr.write("jwks-server: " + fmt % args + "\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
