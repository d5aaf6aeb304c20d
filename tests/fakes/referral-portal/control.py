"""The control interface for tests: plain HTTP with JSON on a separate loopback port.
It plays the SWV's staff (decide, ask for more information), injects faults and shows what the
API received. See README.md for the full list."""

import json
import time
import urllib.parse

from http_base import TOO_LARGE, BadRequest, JsonHandler
import faults as fl
import state as st


class ControlError(Exception):
    def __init__(self, status, message, fouten=None):
        super().__init__(message)
        self.status, self.message, self.fouten = status, message, fouten


class ControlHandler(JsonHandler):
    def do_GET(self):
        self.handle_control()

    do_POST = do_PUT = do_DELETE = do_GET

    def handle_control(self):
        state = self.server.state
        started = time.monotonic()
        path, _, query = self.path.partition("?")
        status = 500
        try:
            body = self.read_body() if self.command in ("POST", "PUT") else b""
            if body is TOO_LARGE:
                raise ControlError(413, "body too large")
            doc = json.loads(body) if body.strip() else {}
            if not isinstance(doc, dict):
                raise ControlError(400, "body must be a JSON object")
            status, out = self.dispatch(state, path, urllib.parse.parse_qs(query), doc)
            self.send_json(status, out)
        except (ValueError, BadRequest) as e:
            status = 400
            self.send_json(400, {"error": f"bad request: {e}"})
        except ControlError as e:
            status = e.status
            out = {"error": e.message}
            if e.fouten:
                out["fouten"] = e.fouten
            self.send_json(e.status, out)
        finally:
            self.log_request_line("control", status, None, started)

    def dispatch(self, state, path, query, doc):
        parts = [p for p in path.split("/") if p]
        m = self.command
        with state.lock:
            if parts == ["health"] and m == "GET":
                return 200, {"ok": True}
            if parts == ["requests"] and m == "GET":
                since = int(query.get("since", ["0"])[0])
                return 200, {"requests": [r for r in state.requests if r["seq"] > since]}
            if parts == ["counters"] and m == "GET":
                return 200, json.loads(json.dumps(state.counters))
            if parts == ["aanmeldingen"] and m == "GET":
                return 200, {"aanmeldingen": [state.referral_view(r)
                                              for r in state.referrals.values()]}
            if len(parts) >= 2 and parts[0] == "aanmeldingen":
                return self.referral(state, parts[1:], m, doc)
            if parts == ["faults"]:
                return self.faults(state, m, doc)
            if parts == ["tokens", "revoke"] and m == "POST":
                return 200, {"revoked": state.revoke_tokens()}
            if parts == ["clock"] and m == "GET":
                return 200, {"now": st.utc_text(state.now()), "offset_seconds": state.clock_offset}
            if parts == ["clock", "advance"] and m == "POST":
                seconds = doc.get("seconds")
                if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                    raise ControlError(400, "seconds: must be a number >= 0")
                state.clock_offset += seconds
                return 200, {"now": st.utc_text(state.now()), "offset_seconds": state.clock_offset}
            if parts == ["config"] and m in ("POST", "PUT"):
                return self.config(state, doc)
            if parts == ["clients"] and m == "POST":
                cid, secret = doc.get("client_id"), doc.get("client_secret")
                if not isinstance(cid, str) or not cid or not isinstance(secret, str) or not secret:
                    raise ControlError(400, "client_id and client_secret: non-empty strings required")
                state.clients[cid] = secret
                return 200, {"client_id": cid}
            if parts == ["reset"] and m == "POST":
                state.reset()
                return 200, {"reset": True}
        raise ControlError(404, f"no control endpoint {m} {path}")

    def faults(self, state, m, doc):
        if m == "GET":
            return 200, state.faults.view()
        if m == "DELETE":
            state.faults.configure({"seed": state.initial_seed})
            return 200, state.faults.view()
        problem = fl.check(doc)
        if problem:
            raise ControlError(400, problem)
        state.faults.configure(doc)
        return 200, state.faults.view()

    def config(self, state, doc):
        unknown = set(doc) - {"token_expiry"}
        if unknown:
            raise ControlError(400, f"config: unknown keys {sorted(unknown)}; known: ['token_expiry']")
        if "token_expiry" in doc:
            v = doc["token_expiry"]
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ControlError(400, "config.token_expiry: must be an integer >= 1 (seconds)")
            state.token_expiry = v
        return 200, {"token_expiry": state.token_expiry}

    def referral(self, state, rest, m, doc):
        ref = state.find(None, rest[0])
        if ref is None:
            raise ControlError(404, f"no aanmelding {rest[0]}")
        if len(rest) == 1 and m == "GET":
            return 200, state.referral_view(ref)
        action = rest[1] if len(rest) == 2 and m == "POST" else None
        if ref["status"] in st.FINAL and action in ("besluit", "vraag", "in_behandeling"):
            raise ControlError(409, f"aanmelding {ref['id']} is already {ref['status']}")
        toelichting = doc.get("toelichting")
        if toelichting is not None and not isinstance(toelichting, str):
            raise ControlError(400, "toelichting: must be a string")
        if action == "besluit":
            outcome, besluit = doc.get("status"), doc.get("besluit")
            if outcome not in ("toegekend", "afgewezen"):
                raise ControlError(400, "status: must be toegekend or afgewezen")
            if not isinstance(besluit, dict):
                raise ControlError(400, "besluit: an object (contract schema Besluit) is required")
            fouten = state.contract.validate(besluit, {"$ref": "#/components/schemas/Besluit"})
            if fouten:
                raise ControlError(400, "besluit does not follow the contract",
                                   [dict(f, pad="/besluit" + f["pad"]) for f in fouten])
            if outcome == "toegekend" and not ("arrangement" in besluit or "tlv" in besluit):
                raise ControlError(400, "besluit: toegekend needs an arrangement or a tlv")
            state.set_status(ref, outcome, toelichting, besluit)
        elif action == "vraag":
            if not toelichting:
                raise ControlError(400, "toelichting: the question is required")
            if ref["status"] not in ("ontvangen", "in_behandeling"):
                raise ControlError(409, f"aanmelding {ref['id']} is {ref['status']}")
            state.set_status(ref, "aanvullende_informatie_gevraagd", toelichting)
        elif action == "in_behandeling":
            state.set_status(ref, "in_behandeling", toelichting)
        else:
            raise ControlError(404, f"no control endpoint {m} /aanmeldingen/{'/'.join(rest)}")
        return 200, state.status_body(ref)
