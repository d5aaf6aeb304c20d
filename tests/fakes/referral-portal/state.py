"""The simulator's memory: clients and tokens, idempotency keys, referrals, the change log,
what was received, counters. One lock guards it all; handlers hold it while they act, so
concurrent requests with the same idempotency key cannot both create a referral."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
import threading
import time

import faults

IDEMPOTENCY_DAYS = 30
FINAL = ("toegekend", "afgewezen", "ingetrokken")


def dump(obj):
    """The bytes of a JSON response; deterministic so replays compare byte for byte."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def utc_text(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class PortalState:
    def __init__(self, contract, clients, token_expiry, seed=0):
        self.lock = threading.RLock()
        self.contract = contract
        self.initial_clients = dict(clients)
        self.initial_token_expiry = token_expiry
        self.initial_seed = seed
        self.reset()

    def reset(self):
        with self.lock:
            self.clients = dict(self.initial_clients)
            self.token_expiry = self.initial_token_expiry
            self.clock_offset = 0.0
            self.tokens = {}          # token -> (client_id, expires_at)
            self.idempotency = {}     # (client_id, key) -> entry dict
            self.referrals = {}       # id -> referral dict
            self.changes = []         # [(seq, client_id, status snapshot)]
            self.requests = []        # what the API port received
            self.next_id = 1
            # A fresh secret per reset: cursors from before a reset are refused as forged.
            self.cursor_secret = os.urandom(32)
            self.faults = faults.Faults(self.initial_seed)
            self.counters = {"requests_total": 0, "responses_by_status": {},
                             "aanmeldingen_created": 0, "idempotent_replays": 0,
                             "tokens_issued": 0, "tokens_revoked": 0, "intrekkingen": 0,
                             "aanvullingen": 0, "faults_injected": {}}

    def now(self):
        return time.time() + self.clock_offset

    def count(self, name, sub=None):
        with self.lock:
            if sub is None:
                self.counters[name] += 1
            else:
                bucket = self.counters[name]
                bucket[sub] = bucket.get(sub, 0) + 1

    # --- clients and tokens -------------------------------------------------------------

    def issue_token(self, client_id, secret):
        with self.lock:
            known = self.clients.get(client_id)
            # Compare even for unknown clients so timing does not reveal which ids exist.
            ok = hmac.compare_digest((known or "\0").encode(), secret.encode()) and known
            if not ok:
                return None
            token = secrets.token_urlsafe(32)
            self.tokens[token] = (client_id, self.now() + self.token_expiry)
            self.counters["tokens_issued"] += 1
            return token

    def client_for_token(self, token):
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None:
                return None
            if self.now() >= entry[1]:
                del self.tokens[token]
                return None
            return entry[0]

    def revoke_tokens(self):
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
            self.counters["tokens_revoked"] += n
            return n

    # --- idempotency ----------------------------------------------------------------------

    def idempotent_lookup(self, client_id, key, route, body):
        """('replay', response bytes), ('conflict', None) or (None, None)."""
        with self.lock:
            entry = self.idempotency.get((client_id, key))
            if entry and self.now() - entry["stored_at"] > IDEMPOTENCY_DAYS * 86400:
                del self.idempotency[(client_id, key)]
                entry = None
            if entry is None:
                return None, None
            if entry["route"] == route and entry["body"] == body:
                self.counters["idempotent_replays"] += 1
                return "replay", entry["response"]
            return "conflict", None

    def idempotent_store(self, client_id, key, route, body, response):
        with self.lock:
            self.idempotency[(client_id, key)] = {"route": route, "body": body,
                                                  "response": response, "stored_at": self.now()}

    # --- referrals and their status -----------------------------------------------------

    def status_body(self, ref):
        out = {"id": ref["id"]}
        if ref.get("referentie") is not None:
            out["referentie"] = ref["referentie"]
        out["status"] = ref["status"]
        out["gewijzigd_op"] = ref["gewijzigd_op"]
        if ref.get("toelichting"):
            out["toelichting"] = ref["toelichting"]
        if ref.get("besluit"):
            out["besluit"] = ref["besluit"]
        return out

    def create(self, client_id, aanmelding, idempotency_key):
        with self.lock:
            rid = f"AM-{self.next_id:06d}"
            self.next_id += 1
            ref = {"id": rid, "client_id": client_id, "referentie": aanmelding.get("referentie"),
                   "aanmelding": aanmelding, "idempotency_key": idempotency_key,
                   "aanvullingen": [], "intrekking": None, "besluit": None, "toelichting": None}
            self.referrals[rid] = ref
            self.counters["aanmeldingen_created"] += 1
            self.set_status(ref, "ontvangen")
            return ref

    def find(self, client_id, rid):
        """A referral visible to this client (another client's ids look unknown)."""
        with self.lock:
            ref = self.referrals.get(rid)
            if ref is None or (client_id is not None and ref["client_id"] != client_id):
                return None
            return ref

    def set_status(self, ref, status, toelichting=None, besluit=None):
        with self.lock:
            ref["status"] = status
            ref["toelichting"] = toelichting
            if besluit is not None:
                ref["besluit"] = besluit
            ref["gewijzigd_op"] = utc_text(self.now())
            self.changes.append((len(self.changes) + 1, ref["client_id"], self.status_body(ref)))

    # --- change feed ----------------------------------------------------------------------

    def _cursor_mac(self, client_id, payload):
        return hmac.new(self.cursor_secret, client_id.encode() + b"\0" + payload,
                        hashlib.sha256).digest()[:16]

    def encode_cursor(self, client_id, seq):
        payload = struct.pack(">Q", seq)
        raw = payload + self._cursor_mac(client_id, payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, client_id, text):
        """The sequence number in a cursor this client was given, or None if forged."""
        try:
            if len(text) != 32:
                return None
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, TypeError):
            return None
        payload, mac = raw[:8], raw[8:]
        if len(raw) != 24 or not hmac.compare_digest(mac, self._cursor_mac(client_id, payload)):
            return None
        return struct.unpack(">Q", payload)[0]

    def changes_page(self, client_id, after_seq, limit):
        """(changes, seq to resume after, more?) for this client, oldest first."""
        with self.lock:
            mine = [c for c in self.changes if c[1] == client_id and c[0] > after_seq]
            page = mine[:limit]
            more = len(mine) > len(page)
            last = page[-1][0] if page else after_seq
            # At-least-once delivery: resume before the page's last change, so it comes again.
            if len(page) >= 2 and self.faults.duplicate_changes():
                last, more = page[-2][0], True
                self.counters["faults_injected"]["duplicate_change"] = \
                    self.counters["faults_injected"].get("duplicate_change", 0) + 1
            return [c[2] for c in page], last, more

    # --- what was received ------------------------------------------------------------------

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)
            self.counters["requests_total"] += 1
            status = str(entry["status"]) if entry["status"] is not None else "dropped"
            by = self.counters["responses_by_status"]
            by[status] = by.get(status, 0) + 1

    def referral_view(self, ref):
        return {"status": self.status_body(ref), "client_id": ref["client_id"],
                "aanmelding": ref["aanmelding"], "idempotency_key": ref["idempotency_key"],
                "aanvullingen": ref["aanvullingen"], "intrekking": ref["intrekking"]}
