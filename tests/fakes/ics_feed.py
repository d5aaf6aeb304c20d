#!/usr/bin/env python3
"""A published-calendar server for the calendar-ics tests: serves the files of a directory over
HTTPS (or plain HTTP) the way Outlook, Google and Apple publish ICS feeds, with validators.

  ics_feed.py serve --dir DIR --record FILE [--cert F --key F | --plain]

Binds 127.0.0.1 port 0 and prints "PORT <n>" on stdout. Each GET reads the file again, so a
test changes the feed by rewriting it. Every response carries ETag (a hash of the content) and
Last-Modified (the file's mtime). A request whose If-None-Match names the current ETag gets 304;
without If-None-Match, If-Modified-Since at or after the mtime gets 304 (RFC 9110 13.2.2: the
ETag decides when both are sent). Faults: a file NAME.status holding a number answers every
request for NAME with that status and no body; a missing file is 404. Each request is appended
to the record file (one JSON object a line) before it is answered:
{"method", "path", "if_none_match", "if_modified_since", "status"}.

The PKI comes from https_echo.py pki (ca.pem, good.pem, good.key).
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(root, record_path):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self, status):
            entry = {"method": self.command, "path": self.path,
                     "if_none_match": self.headers.get("If-None-Match"),
                     "if_modified_since": self.headers.get("If-Modified-Since"), "status": status}
            with lock, open(record_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def reply(self, status, body=b"", headers=()):
            self.record(status)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            name = os.path.basename(self.path.split("?", 1)[0])
            path = os.path.join(root, name)
            if os.path.exists(path + ".status"):
                with open(path + ".status") as f:
                    return self.reply(int(f.read().strip()))
            if not name or not os.path.isfile(path):
                return self.reply(404, b"not found\n", [("Content-Type", "text/plain")])
            with open(path, "rb") as f:
                body = f.read()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            mtime = int(os.stat(path).st_mtime)
            validators = [("ETag", etag), ("Last-Modified", email.utils.formatdate(mtime, usegmt=True))]
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm is not None:
                tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
                if "*" in tags or etag in tags:
                    return self.reply(304, headers=validators)
            elif ims is not None:
                try:
                    since = email.utils.parsedate_to_datetime(ims).timestamp()
                except (TypeError, ValueError):
                    since = None
                if since is not None and mtime <= since:
                    return self.reply(304, headers=validators)
            self.reply(200, body, [("Content-Type", "text/calendar; charset=utf-8")] + validators)

        do_HEAD = do_GET

    return Handler


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--record", required=True)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--plain", action="store_true")
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), make_handler(args.dir, args.record))
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
