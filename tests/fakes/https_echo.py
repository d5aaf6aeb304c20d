#!/usr/bin/env python3
"""A scriptable HTTPS (or plain HTTP) test server and a test PKI, for the HTTP client's tests.

  https_echo.py pki DIR
      Generates with the openssl command line, at test time: ca.pem/ca.key, good.pem/good.key
      (127.0.0.1 and localhost), wronghost.pem/.key (wrong.invalid only), expired.pem/.key (for
      127.0.0.1, notAfter in the past), client.pem/client.key (a client certificate), and
      other-ca.pem (a CA that signed none of them).

  https_echo.py serve --script FILE --record FILE [--cert F --key F | --plain]
                      [--tls-max 1.1] [--client-ca F] [--proxy]
      Binds 127.0.0.1 port 0 and prints "PORT <n>" on stdout. Every request is appended to the
      record file (one JSON object a line) before it is answered, so a client that got its
      answer can read what the server received. The script is a JSON object mapping a path (or
      "*") to a list of steps used in order, the last one repeating:
        {"status": 200, "headers": {...}, "body": "text"}      answer
        {"echo": true}                                          answer 200 with the request body
        {"action": "close_mid", "status": 200, "body": "..."}  send part of the body, then close
        {"action": "close"}                                     close without answering
        {"action": "hang"}                                      answer nothing until the client leaves
        {"status": 200, "body_size": N}                         answer with N bytes of "x"
        {"status": 200, "close_after": true}                    answer, then close (no Connection: close)
      A top-level "hmac_secret" makes the server check X-Schakel-Signature as a webhook receiver
      would and record "signature_valid".
      With --proxy it is a CONNECT proxy instead, relaying to 127.0.0.1 only.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import select
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import traceback
import warnings


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_key_and_csr(d, name, cn):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN=Schakel test {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def sign(d, name, days, extensions):
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(extensions + "\n")
    # -days -1 gives a notAfter before notBefore: a certificate that has already expired.
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-days", str(days), "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)


def make_pki(d):
    os.makedirs(d, exist_ok=True)
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    server = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    for name, cn, days, san in [("good", "127.0.0.1", 2, "IP:127.0.0.1,DNS:localhost"),
                                ("wronghost", "wrong.invalid", 2, "DNS:wrong.invalid"),
                                ("expired", "127.0.0.1", -1, "IP:127.0.0.1,DNS:localhost")]:
        make_key_and_csr(d, name, cn)
        sign(d, name, days, server + "subjectAltName=" + san)
    make_key_and_csr(d, "client", "schakel-test-client")
    sign(d, "client", 2, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth")


class Script:
    def __init__(self, path):
        with open(path) as f:
            self.steps = json.load(f) or {}
        self.next = {}
        self.lock = threading.Lock()

    def step_for(self, path):
        key = path.split("?")[0]
        if key not in self.steps:
            key = "*"
        steps = self.steps.get(key) or [{"status": 404, "body": "no script for " + path}]
        with self.lock:
            i = self.next.get(key, 0)
            self.next[key] = i + 1
        return steps[min(i, len(steps) - 1)]


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, entry):
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        self.tls_ok = True
        ctx = self.server.tls_context
        if ctx is not None:
            self.request.settimeout(30)
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.server.recorder.write({"tls_error": str(e)})
                self.tls_ok = False
            self.connection = self.request
        super().setup()

    def handle(self):
        if self.tls_ok:
            super().handle()

    def log_message(self, *args):
        pass

    def record(self, body):
        entry = {"method": self.command, "path": self.path, "peer_port": self.client_address[1],
                 "headers": [[k, v] for k, v in self.headers.items()],
                 "body_b64": base64.b64encode(body).decode()}
        secret = self.server.script.steps.get("hmac_secret") if self.server.script else None
        if secret is not None:
            # Verify as a webhook receiver would: HMAC-SHA-256 over "<timestamp>.<raw body>".
            timestamp = (self.headers.get("X-Schakel-Timestamp") or "").encode()
            expected = "sha256=" + hmac.new(secret.encode(), timestamp + b"." + body, hashlib.sha256).hexdigest()
            given = self.headers.get("X-Schakel-Signature") or ""
            entry["signature_valid"] = hmac.compare_digest(expected, given)
        if isinstance(self.connection, ssl.SSLSocket):
            entry["tls_version"] = self.connection.version()
            entry["sni"] = getattr(self.connection, "sni", None)
            cert = self.connection.getpeercert()
            if cert:
                entry["client_cn"] = dict(x[0] for x in cert["subject"]).get("commonName")
        self.server.recorder.write(entry)

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.record(body)
        step = self.server.script.step_for(self.path)
        action = step.get("action", "respond")
        if action == "close":
            self.close_connection = True
            return
        if action == "hang":
            # Wait for the client to give up; the client's timeout is what is under test.
            self.connection.settimeout(60)
            try:
                self.connection.recv(1)
            except OSError:
                pass
            self.close_connection = True
            return
        if step.get("echo"):
            payload = body
        elif "body_size" in step:
            payload = b"x" * step["body_size"]
        else:
            payload = step.get("body", "").encode()
        self.send_response_only(step.get("status", 200))
        for k, v in step.get("headers", {}).items():
            self.send_header(k, v)
        if action == "close_mid":
            self.send_header("Content-Length", str(len(payload) + 1000))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if step.get("close_after"):
            # Drop a kept-alive connection silently, as servers do when it has been idle too long.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = answer

    def do_CONNECT(self):
        if not self.server.proxy:
            return self.answer()
        self.record(b"")
        host, _, port = self.path.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            self.send_error(403)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", int(port)))
        except OSError as e:
            self.server.recorder.write({"proxy_error": str(e)})
            self.send_error(502)
            return
        self.send_response_only(200)
        self.end_headers()
        self.wfile.flush()
        relay(self.connection, upstream)
        self.close_connection = True


def relay(a, b):
    socks = [a, b]
    try:
        while True:
            readable, _, _ = select.select(socks, [], [], 60)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Faults are the point here; record what broke instead of printing it.
        self.recorder.write({"server_error": traceback.format_exc(limit=3)})


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args["--cert"], args["--key"])
    if args.get("--tls-max") == "1.1":
        # An old server, to prove that the client refuses anything below TLS 1.2.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.get("--client-ca"):
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args["--client-ca"])

    def remember_sni(sock, name, _ctx):
        sock.sni = name
    ctx.sni_callback = remember_sni
    return ctx


def serve(argv):
    args, flags = {}, set()
    i = 0
    while i < len(argv):
        if argv[i] in ("--plain", "--proxy"):
            flags.add(argv[i])
            i += 1
        else:
            args[argv[i]] = argv[i + 1]
            i += 2
    server = Server(("127.0.0.1", 0), Handler)
    server.script = Script(args["--script"]) if "--script" in args else None
    server.recorder = Recorder(args["--record"])
    server.proxy = "--proxy" in flags
    server.tls_context = None if ("--plain" in flags or server.proxy) else tls_context(args)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "pki":
        make_pki(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
