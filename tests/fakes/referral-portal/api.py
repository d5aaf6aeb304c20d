"""The portal's HTTPS API, as the contract describes it, with injected faults."""

import base64
import json
import time
import traceback
import urllib.parse

from http_base import TOO_LARGE, BadRequest, JsonHandler, log_line
import state as st

PREFIX = "/api/v1/aanmeldingen"
_WWW_AUTH = ("WWW-Authenticate", 'Bearer error="invalid_token"')
# Each handler's operation in the contract, to know which fault statuses it may answer with.
OPERATIONS = {"create": (PREFIX, "post"), "get": (PREFIX + "/{id}", "get"),
              "intrekking": (PREFIX + "/{id}/intrekking", "post"),
              "aanvulling": (PREFIX + "/{id}/aanvulling", "post"),
              "changes": (PREFIX + "/wijzigingen", "get")}


class Reply(Exception):
    """Ends handling with a response: status, body bytes, extra headers."""

    def __init__(self, status, body, headers=()):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, list(headers)


def fout(status, code, melding, fouten=None, headers=()):
    body = {"code": code, "melding": melding}
    if fouten:
        body["fouten"] = fouten
    return Reply(status, st.dump(body), headers)


def valid_idempotency_key(key):
    return key is not None and 1 <= len(key) <= 128 and all(" " <= c <= "~" for c in key)


def route(method, path):
    """(handler name, referral id or None), or raises a 404/405 Reply."""
    if path == "/oauth/token":
        allowed, name, rid = "POST", "token", None
    elif path == PREFIX:
        allowed, name, rid = "POST", "create", None
    elif path == PREFIX + "/wijzigingen":
        allowed, name, rid = "GET", "changes", None
    elif path.startswith(PREFIX + "/"):
        parts = path[len(PREFIX) + 1:].split("/")
        rid = urllib.parse.unquote(parts[0])
        if len(parts) == 1 and rid:
            allowed, name = "GET", "get"
        elif len(parts) == 2 and rid and parts[1] in ("intrekking", "aanvulling"):
            allowed, name = "POST", parts[1]
        else:
            raise fout(404, "niet_gevonden", f"onbekend pad {path}")
    else:
        raise fout(404, "niet_gevonden", f"onbekend pad {path}")
    if method != allowed:
        raise fout(405, "methode_niet_toegestaan", f"{method} is niet toegestaan op {path}",
                   headers=[("Allow", allowed)])
    return name, rid


class ApiHandler(JsonHandler):
    def setup(self):
        super().setup()
        self.request.do_handshake()

    def do_GET(self):
        self.handle_api()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def handle_api(self):
        state = self.server.state
        started = time.monotonic()
        self.client_id, self.body, self.fault, self.latency = None, b"", None, 0
        status, note = None, ""
        path, _, query = self.path.partition("?")
        try:
            try:
                if self.command in ("POST", "PUT", "PATCH"):
                    self.body = self.read_body()
                name, rid = route(self.command, path)
                with state.lock:
                    self.fault = state.faults.decide(name == "token")
                    if self.fault and "status" in self.fault and name in OPERATIONS and \
                            self.fault["status"] not in state.contract.statuses(*OPERATIONS[name]):
                        # e.g. aanvulling declares no 500: a faithful portal never sends one.
                        state.count("faults_injected", f"suppressed_{self.fault['status']}")
                        self.fault = None
                    if self.fault:
                        state.count("faults_injected", str(self.fault.get("status") or
                                                           "drop_" + self.fault["drop"]))
                    self.latency = state.faults.latency_ms()
                if self.latency:
                    time.sleep(self.latency / 1000.0)  # simulated server latency
                if self.fault and self.fault.get("drop") == "before":
                    self.close_connection = True
                    note = "fault=drop_before"
                    return
                if self.fault and "status" in self.fault:
                    raise self.injected(self.fault)
                getattr(self, "on_" + name)(state, rid, query)
            except BadRequest as e:
                raise fout(400, "ongeldig_verzoek", str(e))
            except Reply:
                raise
            except Exception:
                log_line("interne fout:\n" + traceback.format_exc())
                raise fout(500, "interne_fout", "onverwachte fout in de simulator")
        except Reply as r:
            status = r.status
            if self.fault and self.fault.get("drop") == "after":
                self.close_connection = True
                note = f"fault=drop_after (would send {r.status})"
                status = None
            else:
                self.send_bytes(r.status, r.body, r.headers)
        finally:
            self.record(state, path, status)
            self.log_request_line("api", status, self.client_id, started, note)

    def injected(self, fault):
        code = {429: "te_veel_verzoeken", 503: "niet_beschikbaar", 500: "interne_fout"}
        text = {429: "te veel verzoeken; probeer het later opnieuw",
                503: "tijdelijk niet beschikbaar", 500: "onverwachte fout (geïnjecteerd)"}
        s = fault["status"]
        headers = [("Retry-After", str(fault["retry_after"]))] if s in (429, 503) else []
        return fout(s, code[s], text[s], headers=headers)

    def record(self, state, path, status):
        headers = {}
        for k, v in self.headers.items():
            if k.lower() != "authorization":
                headers[k.lower()] = headers[k.lower()] + ", " + v if k.lower() in headers else v
        entry = {"method": self.command, "path": self.path, "headers": headers,
                 "client_id": self.client_id, "status": status, "fault": self.fault,
                 "latency_ms": self.latency,
                 "ontvangen_op": st.utc_text(state.now())}
        if self.body is TOO_LARGE:
            entry.update(body_base64=None, body_too_large=True, json=None)
        elif path == "/oauth/token":
            # The raw body holds the client secret; keep the form with the secret masked.
            form = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"), True)
            entry.update(body_base64=None, json=None, form={
                k: ("***" if k == "client_secret" else v[0]) for k, v in form.items()})
        else:
            entry["body_base64"] = base64.b64encode(self.body).decode()
            try:
                entry["json"] = json.loads(self.body) if self.body else None
            except ValueError:
                entry["json"] = None
        state.record(entry)

    # --- endpoints ------------------------------------------------------------------------

    def on_token(self, state, _rid, _query):
        def oauth_error(status, error):
            return Reply(status, st.dump({"error": error}),
                         [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
        if self.body is TOO_LARGE:
            raise fout(413, "te_groot", "verzoek groter dan 8 MiB")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request")
        try:
            pairs = urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True,
                                           strict_parsing=bool(self.body))
        except (UnicodeDecodeError, ValueError):
            raise oauth_error(400, "invalid_request") from None
        form = {}
        for k, v in pairs:
            if k in form:
                raise oauth_error(400, "invalid_request")  # RFC 6749 3.2: no repeats
            form[k] = v
        if "grant_type" not in form:
            raise oauth_error(400, "invalid_request")
        if form["grant_type"] != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type")
        if "scope" in form and set(form["scope"].split()) - {"aanmeldingen"}:
            raise oauth_error(400, "invalid_scope")
        self.client_id = form.get("client_id")
        token = state.issue_token(form.get("client_id", ""), form.get("client_secret", ""))
        if token is None:
            raise oauth_error(401, "invalid_client")
        raise Reply(200, st.dump({"access_token": token, "token_type": "Bearer",
                                  "expires_in": state.token_expiry}),
                    [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    def authenticate(self, state):
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        client = state.client_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if client is None:
            raise Reply(401, st.dump({"error": "invalid_token"}), [_WWW_AUTH])
        self.client_id = client

    def prepare_post(self, state):
        """Checks shared by every POST; returns the idempotency key."""
        self.authenticate(state)
        key = self.headers.get("Idempotency-Key")
        if key is None:
            raise fout(400, "sleutel_ontbreekt", "de header Idempotency-Key ontbreekt")
        if not valid_idempotency_key(key):
            raise fout(400, "sleutel_ongeldig",
                       "Idempotency-Key moet 1 tot 128 afdrukbare ASCII-tekens zijn")
        if self.body is TOO_LARGE:
            raise fout(413, "te_groot", "verzoek groter dan 8 MiB")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise fout(400, "ongeldig_mediatype", "Content-Type moet application/json zijn")
        return key

    def idempotent(self, state, key, path):
        outcome, response = state.idempotent_lookup(self.client_id, key, "POST " + path,
                                                    self.body)
        if outcome == "replay":
            raise Reply(200, response)
        if outcome == "conflict":
            raise fout(409, "sleutel_hergebruikt",
                       "deze Idempotency-Key is al gebruikt voor een ander verzoek")

    def parse_valid(self, state, schema):
        try:
            doc = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise fout(400, "ongeldige_json", f"body is geen geldige JSON: {e}") from None
        fouten = state.contract.validate(doc, schema)
        if fouten:
            raise fout(422, "validatie", f"{len(fouten)} fout(en) in het verzoek", fouten)
        return doc

    def on_create(self, state, _rid, _query):
        key = self.prepare_post(state)
        with state.lock:
            self.idempotent(state, key, PREFIX)
            doc = self.parse_valid(state, state.contract.request_schema(PREFIX))
            ref = state.create(self.client_id, doc, key)
            body = st.dump(state.status_body(ref))
            state.idempotent_store(self.client_id, key, "POST " + PREFIX, self.body, body)
        raise Reply(201, body)

    def find(self, state, rid):
        ref = state.find(self.client_id, rid)
        if ref is None:
            raise fout(404, "niet_gevonden", f"aanmelding {rid} bestaat niet")
        return ref

    def on_get(self, state, rid, _query):
        self.authenticate(state)
        with state.lock:
            raise Reply(200, st.dump(state.status_body(self.find(state, rid))))

    def on_intrekking(self, state, rid, _query):
        self.act(state, rid, "intrekking")

    def on_aanvulling(self, state, rid, _query):
        self.act(state, rid, "aanvulling")

    def act(self, state, rid, what):
        key = self.prepare_post(state)
        path = f"{PREFIX}/{{id}}/{what}"
        with state.lock:
            self.idempotent(state, key, f"{PREFIX}/{rid}/{what}")
            ref = self.find(state, rid)
            doc = self.parse_valid(state, state.contract.request_schema(path))
            if what == "intrekking":
                if ref["status"] in st.FINAL:
                    raise fout(409, "besloten", f"aanmelding {rid} is al {ref['status']} en "
                               "kan niet meer worden ingetrokken")
                ref["intrekking"] = doc
                state.set_status(ref, "ingetrokken", doc.get("toelichting"))
                state.count("intrekkingen")
            else:
                if ref["status"] != "aanvullende_informatie_gevraagd":
                    raise fout(409, "geen_vraag_open",
                               f"er staat geen vraag open voor aanmelding {rid}")
                ref["aanvullingen"].append(doc)
                state.set_status(ref, "in_behandeling")
                state.count("aanvullingen")
            body = st.dump(state.status_body(ref))
            state.idempotent_store(self.client_id, key, f"POST {PREFIX}/{rid}/{what}",
                                   self.body, body)
        raise Reply(200, body)

    def on_changes(self, state, _rid, query):
        self.authenticate(state)
        params = {}
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if k in params:
                raise fout(400, "ongeldige_parameter", f"parameter {k} komt meer dan eens voor")
            params[k] = v
        schema = state.contract.query_schema(PREFIX + "/wijzigingen", "limit")
        limit = schema.get("default", 100)
        if "limit" in params:
            text = params["limit"]
            if not (text.isascii() and text.isdigit()) or \
                    not schema["minimum"] <= int(text) <= schema["maximum"]:
                raise fout(400, "ongeldige_parameter",
                           f"limit moet een geheel getal van {schema['minimum']} tot "
                           f"{schema['maximum']} zijn")
            limit = int(text)
        after = 0
        if "cursor" in params:
            after = state.decode_cursor(self.client_id, params["cursor"])
            if after is None:
                raise fout(400, "ongeldige_cursor", "de cursor is niet door dit portaal uitgegeven")
        items, last, more = state.changes_page(self.client_id, after, limit)
        raise Reply(200, st.dump({"wijzigingen": items,
                                  "volgende_cursor": state.encode_cursor(self.client_id, last),
                                  "meer": more}))
