#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A minimal PyPI upload endpoint for tests/bus-pypi.sh ONLY, never for production (operators run
# pypiserver, devpi, ... behind nginx and pkgtoken-upload-gate; contrib/nginx/README.md).
#
# Takes twine's upload (POST multipart/form-data with ":action=file_upload", "name",
# "version", "content" and optionally "sha256_digest") on any path and writes the file to
# ROOT/simple/<PEP 503 name>/<file name>, where nginx serves it as a PEP 503 page (autoindex).
# Anything else is a 400; a file that exists already is a 400 as on PyPI ("File already
# exists").  Checks nothing about who uploads: that is nginx's and the gate's job.  Python 3
# standard library only.
#
#   pypi-index.py ROOT PORT-FILE    listens on 127.0.0.1, on a port the kernel picks, and
#                                   writes it to PORT-FILE once it listens.

import email.parser
import email.policy
import hashlib
import http.server
import os
import re
import sys

MAX_BODY = 64 << 20


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "pypi-index-fixture/1"

    def answer(self, code, text):
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fields(self):
        """The form's fields: {name: [(filename or None, bytes)]}, or None when the body is
        not a multipart/form-data body we can read."""
        ctype = self.headers.get("Content-Type", "")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None
        if not ctype.startswith("multipart/form-data") or length <= 0 or length > MAX_BODY:
            return None
        body = self.rfile.read(length)
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            return None
        out = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                return None
            out.setdefault(name, []).append((part.get_filename(), part.get_payload(decode=True) or b""))
        return out

    def do_POST(self):
        f = self.fields()
        if f is None:
            return self.answer(400, "not a multipart/form-data upload")

        def one(key):
            v = f.get(key)
            return v[0][1].decode("utf-8", "replace") if v and len(v) == 1 else None

        if one(":action") != "file_upload":
            return self.answer(400, "not a file_upload")
        name, version, content = one("name"), one("version"), f.get("content")
        if not name or not version or not content or len(content) != 1 or not content[0][0]:
            return self.answer(400, "name, version and content are needed")
        filename, data = content[0]
        if "/" in filename or filename.startswith(".") or not re.fullmatch(r"[A-Za-z0-9_.+!-]+", filename):
            return self.answer(400, "bad file name")
        digest = one("sha256_digest")
        if digest and hashlib.sha256(data).hexdigest() != digest.lower():
            return self.answer(400, "sha256_digest does not match the file")
        directory = os.path.join(self.server.root, "simple", pep503(name))
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, filename)
        try:
            with open(path, "xb") as out:
                out.write(data)
        except FileExistsError:
            return self.answer(400, "File already exists")
        os.chmod(path, 0o644)
        return self.answer(200, "stored " + pep503(name) + "/" + filename)

    def do_GET(self):
        self.answer(404, "this fixture takes uploads only")


def main():
    root, port_file = sys.argv[1], sys.argv[2]
    os.umask(0o022)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.root = root
    with open(port_file + ".tmp", "w") as p:
        p.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
