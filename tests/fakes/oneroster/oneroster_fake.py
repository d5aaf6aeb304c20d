#!/usr/bin/python3
"""A fake OneRoster 1.1/1.2 REST server (rostering, read-only) over HTTPS, faults included, plus a
plain-HTTP control port for tests. Standard library only. See README.md.

Prints one JSON line on stdout once both ports listen: {"port": N, "control_port": M}.
The client secret comes from --client-secret-file or $SCHAKEL_ONEROSTER_CLIENT_SECRET and is
never logged; neither are tokens."""

import argparse
import base64
import json
import os
import secrets
import ssl
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bundle_data  # noqa: E402
import query  # noqa: E402

BASES = bundle_data.BASES
SCOPES = {"1.1": "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly",
          "1.2": "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"}
# Endpoint -> (collection, singular key, object filter).
ENDPOINTS = {
    "orgs": ("orgs", "org", None), "schools": ("orgs", "org", lambda o: o.get("type") == "school"),
    "academicSessions": ("academicSessions", "academicSession", None), "courses": ("courses", "course", None),
    "classes": ("classes", "class", None), "enrollments": ("enrollments", "enrollment", None),
    "demographics": ("demographics", "demographics", None), "users": ("users", "user", None),
    "students": ("users", "user", lambda o: has_role(o, "student")),
    "teachers": ("users", "user", lambda o: has_role(o, "teacher")),
}


def has_role(user, role):
    return user.get("role") == role or any(r.get("role") == role for r in user.get("roles", []))


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.client_id, self.client_secret = args.client_id, args.client_secret
        self.token_expiry = args.token_expiry
        self.max_limit = args.max_limit
        self.store = bundle_data.Store("")
        self.reset()

    def reset(self):
        self.clock_offset = 0.0
        self.tokens = {}  # token -> expiry (simulated clock)
        self.requests = []
        self.faults = {"script": [], "retry_after": 0, "include_token_endpoint": False}
        self.counters = {"tokens_issued": 0, "faults_injected": 0}

    def now(self):
        return time.time() + self.clock_offset

    def next_fault(self, token_endpoint):
        with self.lock:
            if token_endpoint and not self.faults["include_token_endpoint"]:
                return None
            if self.faults["script"]:
                f = self.faults["script"].pop(0)
                if not f.get("pass"):
                    self.counters["faults_injected"] += 1
                    return f
        return None


def imsx(code_major, description, code_minor):
    return {"imsx_codeMajor": code_major, "imsx_severity": "error", "imsx_description": description,
            "imsx_CodeMinor": {"imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    state = None  # set on the class by main()
    control = False

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return "oneroster-fake/1.0"

    def date_time_string(self, timestamp=None):
        return formatdate(self.state.now(), usegmt=True)  # the simulated clock

    def send_json(self, status, body, headers=(), truncate=False):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:  # half the promised body, then the connection goes away
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    def record(self, status, fault=None, authorized=False):
        with self.state.lock:
            self.state.requests.append({"seq": len(self.state.requests) + 1, "method": self.command,
                                        "path": self.path, "status": status, "fault": fault,
                                        "authorized": authorized})
        sys.stderr.write(f"{'control' if self.control else 'api'} {self.command} {self.path.split('?')[0]}"
                         f" -> {status}{' ' + fault if fault else ''}\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- the API port -------------------------------------------------------------------------

    def do_POST(self):
        if self.control:
            return self.control_request()
        if urlsplit(self.path).path != "/oauth/token":
            self.record(405)
            return self.send_json(405, imsx("failure", "method not allowed", "invalid_data"), [("Allow", "GET")])
        return self.token()

    def do_GET(self):
        if self.control:
            return self.control_request()
        return self.api_get()

    def do_PUT(self):
        return self.control_request() if self.control else self.send_json(405, {}, [("Allow", "GET")])

    def do_DELETE(self):
        return self.control_request() if self.control else self.send_json(405, {}, [("Allow", "GET")])

    def token(self):
        st = self.state
        fault = st.next_fault(True)
        if fault and self.inject(fault):
            return
        form = {k: v[0] for k, v in parse_qs(self.body().decode("utf-8", "replace")).items()}
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                cid, secret = base64.b64decode(auth[6:]).decode("utf-8").split(":", 1)
            except (ValueError, UnicodeDecodeError):
                cid = secret = None
        if form.get("grant_type") != "client_credentials":
            self.record(400)
            return self.send_json(400, {"error": "unsupported_grant_type"})
        if cid != st.client_id or not secrets.compare_digest((secret or "").encode(), st.client_secret.encode()):
            self.record(401)
            return self.send_json(401, {"error": "invalid_client"})
        scope = form.get("scope", "")
        allowed = set(SCOPES.values())
        if scope and not set(scope.split()) <= allowed:
            self.record(400)
            return self.send_json(400, {"error": "invalid_scope"})
        tok = secrets.token_urlsafe(32)
        with st.lock:
            st.tokens[tok] = st.now() + st.token_expiry
            st.counters["tokens_issued"] += 1
        self.record(200)
        self.send_json(200, {"access_token": tok, "token_type": "bearer", "expires_in": st.token_expiry,
                             "scope": scope or " ".join(sorted(allowed))}, [("Cache-Control", "no-store")])

    def inject(self, fault):
        """Answers with the fault; False when the fault only changes the normal answer."""
        if "delay_ms" in fault:
            time.sleep(fault["delay_ms"] / 1000.0)  # a page that takes too long (the client's timeout)
            return False
        status = fault.get("status")
        if status in (429, 503):
            ra = fault.get("retry_after", self.state.faults.get("retry_after", 0))
            self.record(status, f"status_{status}")
            desc = "too many requests" if status == 429 else "service unavailable"
            return self.send_json(status, imsx("failure", desc, "server_busy"), [("Retry-After", str(ra))]) or True
        if status:
            self.record(status, f"status_{status}")
            return self.send_json(status, imsx("failure", "internal error", "internal_server_error")) or True
        return False

    def api_get(self):
        st = self.state
        url = urlsplit(self.path)
        fault = st.next_fault(False)
        if fault and self.inject(fault):
            return
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with st.lock:
            expiry = st.tokens.get(tok) if tok else None
            valid = expiry is not None and expiry > st.now()
        if not valid:
            self.record(401, None, False)
            return self.send_json(401, imsx("failure", "the access token is missing, invalid or expired",
                                            "unauthorisedrequest"),
                                  [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        base = BASES[st.store.version]
        if not url.path.startswith(base + "/"):
            self.record(404, None, True)
            return self.send_json(404, imsx("failure", f"no such endpoint {url.path}", "unknownobject"))
        parts = url.path[len(base) + 1:].split("/")
        if parts[0] not in ENDPOINTS or len(parts) > 2:
            self.record(404, None, True)
            return self.send_json(404, imsx("failure", f"no such endpoint {url.path}", "unknownobject"))
        collection, singular, keep = ENDPOINTS[parts[0]]
        with st.lock:
            objects = [o for o in st.store.objects[collection].values() if keep is None or keep(o)]
        if len(parts) == 2:
            found = [o for o in objects if o["sourcedId"] == parts[1]]
            self.record(200 if found else 404, None, True)
            if not found:
                return self.send_json(404, imsx("failure", f"{parts[1]} not found", "unknownobject"))
            return self.send_json(200, {singular: found[0]})
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            page, total, limit, offset = query.select(objects, params, st.max_limit)
        except query.QueryError as e:
            self.record(400, None, True)
            return self.send_json(400, imsx("failure", e.description, e.code_minor))
        short = bool(fault and fault.get("short_page"))
        if short:  # a page cut short; the headers still promise the full page (a naive server)
            page = page[:max(0, len(page) // 2)]
        origin = f"https://{self.headers.get('Host', '127.0.0.1')}"
        headers = [("X-Total-Count", str(total)),
                   ("Link", query.link_header(origin + url.path, params, total, limit, offset))]
        truncate = bool(fault and fault.get("truncate"))
        self.record(200, "truncate" if truncate else ("short_page" if short else None), True)
        self.send_json(200, {parts[0] if parts[0] not in ("schools", "students", "teachers") else
                             {"schools": "orgs", "students": "users", "teachers": "users"}[parts[0]]: page},
                       headers, truncate)

    # ---- the control port ---------------------------------------------------------------------

    def control_request(self):
        st = self.state
        path = urlsplit(self.path).path
        try:
            raw = self.body()
            body = json.loads(raw) if raw else {}
            with st.lock:
                result = self.control_action(self.command, path, body)
        except (ValueError, KeyError, OSError) as e:
            self.record(400)
            return self.send_json(400, {"error": str(e)})
        if result is None:
            self.record(404)
            return self.send_json(404, {"error": f"no control {self.command} {path}"})
        self.record(200)
        self.send_json(200, result)

    def control_action(self, method, path, body):
        st = self.state
        if path == "/health":
            return {"ok": True}
        if path == "/requests" and method == "GET":
            return {"requests": st.requests}
        if path == "/counters" and method == "GET":
            return dict(st.counters, requests_total=len(st.requests))
        if path == "/reset" and method == "POST":
            st.reset()
            st.store = bundle_data.Store(st.store.base_href)
            return {"ok": True}
        if path == "/load" and method == "POST":
            return {"counts": st.store.load(body["bundle"], bool(body.get("merge")))}
        if path.startswith("/objects/") and method == "POST":
            return {"upserted": st.store.upsert(path[len("/objects/"):], body["objects"])}
        if path == "/faults" and method in ("PUT", "POST"):
            unknown = set(body) - {"script", "retry_after", "include_token_endpoint"}
            if unknown:
                raise ValueError(f"unknown fault keys {sorted(unknown)}")
            st.faults = {"script": list(body.get("script", [])), "retry_after": int(body.get("retry_after", 0)),
                         "include_token_endpoint": bool(body.get("include_token_endpoint", False))}
            return st.faults
        if path == "/faults" and method == "GET":
            return st.faults
        if path == "/tokens/expire" and method == "POST":
            n = len(st.tokens)
            st.tokens = {t: 0 for t in st.tokens}
            return {"expired": n}
        if path == "/clock/advance" and method == "POST":
            st.clock_offset += float(body["seconds"])
            return {"now": st.now()}
        if path == "/config" and method == "PUT":
            st.max_limit = int(body.get("max_limit", st.max_limit))
            st.token_expiry = int(body.get("token_expiry", st.token_expiry))
            return {"max_limit": st.max_limit, "token_expiry": st.token_expiry}
        return None


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        sock, addr = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # a client that drops the connection is not the fake's problem


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret-file")
    p.add_argument("--token-expiry", type=int, default=3600)
    p.add_argument("--max-limit", type=int, default=1000, help="the largest page the server hands out")
    a = p.parse_args(argv)
    if a.client_secret_file:
        with open(a.client_secret_file, encoding="utf-8") as f:
            a.client_secret = f.read().strip()
    else:
        a.client_secret = os.environ.get("SCHAKEL_ONEROSTER_CLIENT_SECRET", "")
    if not a.client_secret:
        p.error("a client secret is required (--client-secret-file or $SCHAKEL_ONEROSTER_CLIENT_SECRET)")
    state = State(a)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    api = type("ApiHandler", (Handler,), {"state": state, "control": False})
    ctl = type("ControlHandler", (Handler,), {"state": state, "control": True})
    api_server = TlsServer(("127.0.0.1", 0), api, ctx)
    control_server = ThreadingHTTPServer(("127.0.0.1", 0), ctl)
    control_server.daemon_threads = True
    port = api_server.server_address[1]
    state.store.base_href = f"https://127.0.0.1:{port}"
    for s in (api_server, control_server):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(json.dumps({"port": port, "control_port": control_server.server_address[1]}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
