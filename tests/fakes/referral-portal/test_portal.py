"""The simulator keeps to the contract: tokens, idempotency, validation, limits, status,
withdrawal, supplement, the change feed and what the control port reports."""

import base64
import json
import threading
import unittest

from harness import CLIENT_ID, CLIENT_SECRET, SimulatorTest, aanmelding, body_of

A = "/api/v1/aanmeldingen"


class TokenTest(SimulatorTest):
    def form(self, text):
        return self.sim.request("POST", "/oauth/token", text.encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})

    def test_client_credentials_give_a_bearer_token_with_expiry(self):
        r = self.form(f"grant_type=client_credentials&client_id={CLIENT_ID}"
                      f"&client_secret={CLIENT_SECRET}&scope=aanmeldingen")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.tokens_seen.append(body["access_token"])
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(r.headers["Cache-Control"], "no-store")

    def test_wrong_secret_or_unknown_client_is_invalid_client(self):
        for form in (f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=nee",
                     "grant_type=client_credentials&client_id=onbekend&client_secret=x",
                     "grant_type=client_credentials"):
            r = self.form(form)
            self.assertEqual(r.status, 401, form)
            self.assertEqual(r.json(), {"error": "invalid_client"})

    def test_other_grant_type_is_refused(self):
        r = self.form(f"grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}")
        self.assertEqual((r.status, r.json()), (400, {"error": "unsupported_grant_type"}))

    def test_token_request_is_recorded_without_the_secret(self):
        self.fresh_token()
        rec = self.sim.ctl("GET", "/requests")["requests"][0]
        self.assertEqual(rec["form"]["client_secret"], "***")
        self.assertNotIn(CLIENT_SECRET, json.dumps(rec))


class AuthTest(SimulatorTest):
    def assertInvalidToken(self, r):
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.headers["WWW-Authenticate"], 'Bearer error="invalid_token"')
        self.assertEqual(r.json(), {"error": "invalid_token"})

    def test_missing_or_unknown_token(self):
        self.assertInvalidToken(self.sim.request("GET", A + "/wijzigingen"))
        self.assertInvalidToken(self.sim.call("GET", A + "/wijzigingen", "verzonnen"))
        self.assertInvalidToken(self.sim.submit("verzonnen"))
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 0)

    def test_token_expires_on_the_simulated_clock(self):
        self.sim.ctl("PUT", "/config", {"token_expiry": 60})
        token = self.fresh_token()
        self.assertEqual(self.sim.call("GET", A + "/wijzigingen", token).status, 200)
        self.sim.ctl("POST", "/clock/advance", {"seconds": 59})
        self.assertEqual(self.sim.call("GET", A + "/wijzigingen", token).status, 200)
        self.sim.ctl("POST", "/clock/advance", {"seconds": 1})
        self.assertInvalidToken(self.sim.call("GET", A + "/wijzigingen", token))
        self.assertEqual(self.sim.call("GET", A + "/wijzigingen", self.fresh_token()).status, 200)

    def test_revocation_invalidates_every_token(self):
        t1, t2 = self.fresh_token(), self.fresh_token()
        self.assertEqual(self.sim.ctl("POST", "/tokens/revoke"), {"revoked": 2})
        self.assertInvalidToken(self.sim.call("GET", A + "/wijzigingen", t1))
        self.assertInvalidToken(self.sim.submit(t2))
        self.assertEqual(self.sim.submit(self.fresh_token()).status, 201)


class SubmitTest(SimulatorTest):
    def setUp(self):
        super().setUp()
        self.token = self.fresh_token()

    def test_created_status_follows_the_contract(self):
        r = self.sim.submit(self.token)
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertEqual(set(body), {"id", "referentie", "status", "gewijzigd_op"})
        self.assertEqual(body["status"], "ontvangen")
        self.assertEqual(body["referentie"], "ref-1")
        self.assertRegex(body["gewijzigd_op"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        got = self.sim.call("GET", f"{A}/{body['id']}", self.token)
        self.assertEqual((got.status, got.json()), (200, body))

    def test_replay_with_the_same_key_and_bytes_returns_200_and_the_same_body(self):
        first = self.sim.submit(self.token)
        again = self.sim.submit(self.fresh_token())  # a new token, same client
        self.assertEqual((first.status, again.status), (201, 200))
        self.assertEqual(again.body, first.body)
        counters = self.sim.ctl("GET", "/counters")
        self.assertEqual(counters["aanmeldingen_created"], 1)
        self.assertEqual(counters["idempotent_replays"], 1)

    def test_concurrent_requests_with_one_key_create_one_referral(self):
        results = []

        def send():
            results.append(self.sim.submit(self.token))
        threads = [threading.Thread(target=send) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(r.status for r in results), [200] * 7 + [201])
        self.assertEqual(len({r.body for r in results}), 1)
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 1)

    def test_same_key_with_different_bytes_is_409(self):
        self.assertEqual(self.sim.submit(self.token).status, 201)
        # Same JSON value, different bytes: still a different body.
        spaced = json.dumps(aanmelding(), indent=1).encode()
        self.assertFout(self.sim.call("POST", A, self.token, spaced, "key-1"),
                        409, "sleutel_hergebruikt")
        self.assertFout(self.sim.submit(self.token, aanmelding(referentie="ref-2")),
                        409, "sleutel_hergebruikt")
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 1)

    def test_keys_are_kept_30_days_and_scoped_to_the_client(self):
        self.assertEqual(self.sim.submit(self.token).status, 201)
        self.sim.ctl("POST", "/clients", {"client_id": "school-2", "client_secret": "s2-x"})
        other = self.sim.token("school-2", "s2-x")
        self.tokens_seen.append(other)
        self.assertEqual(self.sim.submit(other, aanmelding(referentie="b")).status, 201)
        self.sim.ctl("POST", "/clock/advance", {"seconds": 29 * 86400})
        self.assertFout(self.sim.submit(self.fresh_token(), aanmelding(referentie="c")),
                        409, "sleutel_hergebruikt")
        self.sim.ctl("POST", "/clock/advance", {"seconds": 2 * 86400})
        self.assertEqual(self.sim.submit(self.fresh_token(), aanmelding(referentie="c")).status,
                         201)

    def test_idempotency_key_is_required_and_checked(self):
        body = body_of(aanmelding())
        self.assertFout(self.sim.call("POST", A, self.token, body), 400, "sleutel_ontbreekt")
        for bad in ("k" * 129, "sleutel-\u00e9", "tab\tinside"):
            self.assertFout(self.sim.call("POST", A, self.token, body, bad), 400,
                            "sleutel_ongeldig")
        self.assertEqual(self.sim.call("POST", A, self.token, body, "k" * 128).status, 201)
        self.assertEqual(self.sim.call("POST", A, self.token, body_of(aanmelding(referentie="x")),
                                       "~ !").status, 201)

    def test_malformed_json_and_wrong_media_type_are_400(self):
        self.assertFout(self.sim.call("POST", A, self.token, b"{niet json", "k"), 400,
                        "ongeldige_json")
        r = self.sim.call("POST", A, self.token, body_of(aanmelding()), "k2",
                          {"Content-Type": "text/plain"})
        self.assertFout(r, 400, "ongeldig_mediatype")

    def test_validation_errors_carry_json_pointers(self):
        doc = aanmelding(soort="onbekend", hulpvraag="")
        del doc["leerling"]["geboortedatum"]
        doc["leerling"]["bsn"] = "12345678\n"
        doc["leerling"]["jaargroep"] = 9
        doc["school"]["brin"] = "12ab"
        doc["toestemming"]["gegeven_door"] = []
        doc["contactpersoon"] = {"rol": "ib", "email": "geen-adres"}
        doc["bijlagen"] = [{"soort": "opp", "naam": "opp.pdf", "sha256": "a" * 64},
                           {"soort": "foto", "naam": "x", "sha256": "A" * 64}]
        body = self.assertFout(self.sim.submit(self.token, doc), 422, "validatie")
        pads = sorted(f["pad"] for f in body["fouten"])
        self.assertEqual(pads, sorted([
            "/soort", "/hulpvraag", "/leerling/geboortedatum", "/leerling/bsn",
            "/leerling/jaargroep", "/school/brin", "/toestemming/gegeven_door",
            "/contactpersoon/email", "/bijlagen/1/soort", "/bijlagen/1/sha256"]))
        self.assertTrue(all(f["melding"] for f in body["fouten"]))
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 0)

    def test_wrong_types_and_impossible_dates(self):
        doc = aanmelding(leerling="Jan")
        doc["toestemming"]["datum"] = "2024-02-30"
        body = self.assertFout(self.sim.submit(self.token, doc), 422, "validatie")
        self.assertEqual(sorted(f["pad"] for f in body["fouten"]),
                         ["/leerling", "/toestemming/datum"])
        body = self.assertFout(self.sim.call("POST", A, self.token, b"[]", "k9"), 422,
                               "validatie")
        self.assertEqual(body["fouten"][0]["pad"], "")

    def test_body_limit_is_8_mib(self):
        limit = 8 * 1024 * 1024
        doc = aanmelding(bijlagen=[{"soort": "opp", "naam": "opp.pdf", "sha256": "0" * 64,
                                    "inhoud_base64": ""}])
        base = len(body_of(doc))
        doc["bijlagen"][0]["inhoud_base64"] = "A" * (limit - base)
        exact = body_of(doc)
        self.assertEqual(len(exact), limit)
        self.assertEqual(self.sim.submit(self.token, doc, key="groot-1").status, 201)
        over = exact[:-1] + b" }"
        self.assertEqual(len(over), limit + 1)
        self.assertFout(self.sim.call("POST", A, self.token, over, "groot-2"), 413, "te_groot")
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 1)

    def test_received_requests_are_read_back_exactly(self):
        body = body_of(aanmelding())
        self.sim.call("POST", A, self.token, body, "key-1", {"X-Trace": "t-1"})
        rec = self.sim.ctl("GET", "/requests")["requests"][-1]
        self.assertEqual((rec["method"], rec["path"], rec["status"]), ("POST", A, 201))
        self.assertEqual(base64.b64decode(rec["body_base64"]), body)
        self.assertEqual(rec["json"], aanmelding())
        self.assertEqual(rec["headers"]["idempotency-key"], "key-1")
        self.assertEqual(rec["headers"]["x-trace"], "t-1")
        self.assertNotIn("authorization", rec["headers"])
        self.assertNotIn(self.token, json.dumps(rec))
        stored = self.sim.ctl("GET", "/aanmeldingen")["aanmeldingen"]
        self.assertEqual([s["aanmelding"] for s in stored], [aanmelding()])

    def test_unknown_paths_and_methods(self):
        self.assertFout(self.sim.call("GET", "/api/v2/x", self.token), 404, "niet_gevonden")
        r = self.sim.call("DELETE", A, self.token)
        self.assertFout(r, 405, "methode_niet_toegestaan")
        self.assertEqual(r.headers["Allow"], "POST")


if __name__ == "__main__":
    unittest.main()
