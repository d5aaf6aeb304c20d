"""What the API and control handlers share: bounded body reading, JSON responses, one log line
per request on stderr (method, path without query, status, client, time; never headers,
bodies, secrets or tokens)."""

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY_LIMIT = 8 * 1024 * 1024
# Bodies up to this size are read and discarded after a 413, so that a client still writing
# its body sees the response instead of a reset connection.
DRAIN_LIMIT = 64 * 1024 * 1024
TOO_LARGE = object()

_log_lock = threading.Lock()


def log_line(text):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with _log_lock:
        sys.stderr.write(f"{stamp} {text}\n")
        sys.stderr.flush()


class BadRequest(Exception):
    pass


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "referral-portal-simulator/1.0"

    timeout = 30  # a silent client must not hold a thread for ever

    def log_message(self, fmt, *args):
        pass  # one line per request is written by log_request_line instead

    def log_request_line(self, port_name, status, client, started, note=""):
        path = self.path.split("?", 1)[0]
        shown = "dropped" if status is None else str(status)
        ms = int((time.monotonic() - started) * 1000)
        log_line(f"{port_name} {self.command} {path} -> {shown} client={client or '-'} "
                 f"{ms}ms{(' ' + note) if note else ''}")

    def read_body(self):
        """The request body, TOO_LARGE beyond BODY_LIMIT, or raises BadRequest."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit():
            self.close_connection = True
            raise BadRequest("Content-Length is geen geldig getal")
        n = int(length)
        if n > BODY_LIMIT:
            self.close_connection = True
            if n <= DRAIN_LIMIT:
                while n > 0:
                    got = self.rfile.read(min(n, 1 << 20))
                    if not got:
                        break
                    n -= len(got)
            return TOO_LARGE
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            raise BadRequest("body korter dan Content-Length")
        return body

    def _read_chunked(self):
        parts, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise BadRequest("ongeldige chunk-grootte") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > BODY_LIMIT:
                self.close_connection = True
                return TOO_LARGE
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def send_bytes(self, status, body, headers=(), content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj, headers=()):
        self.send_bytes(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), headers)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def get_request(self):
        sock, addr = self.socket.accept()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # peer's delayed ACK add 40 ms to every response.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def handle_error(self, request, client_address):
        # TLS handshake failures and resets are expected in fault tests; one line, no traceback.
        err = sys.exc_info()[1]
        log_line(f"connection from {client_address[0]} ended: {type(err).__name__}: {err}")
