"""Injected faults follow the contract (Fout bodies, Retry-After), are reproducible with a seed,
and a client that retries with the same key and bytes still creates each referral once."""

import http.client
import ssl
import unittest

from harness import SimulatorTest, aanmelding, body_of

A = "/api/v1/aanmeldingen"
DROPPED = (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionError,
           ssl.SSLError)


class FaultTest(SimulatorTest):
    def setUp(self):
        super().setUp()
        self.token = self.fresh_token()

    def faults(self, cfg):
        return self.sim.ctl("PUT", "/faults", cfg)

    def test_scripted_429_and_503_carry_retry_after(self):
        self.faults({"retry_after": 3, "script": [{"status": 503, "retry_after": 7},
                                                  {"status": 429}, {"status": 500}]})
        r = self.sim.submit(self.token)
        self.assertFout(r, 503, "niet_beschikbaar")
        self.assertEqual(r.headers["Retry-After"], "7")
        r = self.sim.submit(self.token)
        self.assertFout(r, 429, "te_veel_verzoeken")
        self.assertEqual(r.headers["Retry-After"], "3")
        r = self.sim.submit(self.token)
        self.assertFout(r, 500, "interne_fout")
        self.assertEqual(self.sim.submit(self.token).status, 201)
        counters = self.sim.ctl("GET", "/counters")
        self.assertEqual(counters["faults_injected"], {"503": 1, "429": 1, "500": 1})
        self.assertEqual(counters["aanmeldingen_created"], 1)

    def test_statuses_an_operation_does_not_declare_are_not_injected(self):
        r = self.sim.submit(self.token)
        rid = r.json()["id"]
        self.faults({"script": [{"status": 500}, {"status": 503}]})
        # The contract gives aanvulling no 500, so the first fault is left out.
        r = self.sim.call("POST", f"{A}/{rid}/aanvulling", self.token,
                          body_of({"toelichting": "x"}), "s-1")
        self.assertFout(r, 409, "geen_vraag_open")
        r = self.sim.call("POST", f"{A}/{rid}/aanvulling", self.token,
                          body_of({"toelichting": "x"}), "s-1")
        self.assertFout(r, 503, "niet_beschikbaar")
        self.assertEqual(self.sim.ctl("GET", "/counters")["faults_injected"],
                         {"suppressed_500": 1, "503": 1})

    def test_retry_after_defaults_to_zero(self):
        self.faults({"script": [{"status": 429}, {"status": 503}]})
        for status in (429, 503):
            r = self.sim.call("GET", f"{A}/wijzigingen", self.token)
            self.assertEqual((r.status, r.headers["Retry-After"]), (status, "0"))

    def test_faults_by_count_with_pass(self):
        self.faults({"script": [{"pass": True}, {"pass": True}, {"status": 500}]})
        statuses = [self.sim.call("GET", f"{A}/wijzigingen", self.token).status
                    for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 500, 200])

    def test_drop_before_processing_creates_nothing(self):
        self.faults({"script": [{"drop": "before"}]})
        with self.assertRaises(DROPPED):
            self.sim.submit(self.token)
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 0)
        rec = self.sim.ctl("GET", "/requests")["requests"][-1]
        self.assertEqual((rec["status"], rec["fault"]), (None, {"drop": "before"}))
        self.assertEqual(self.sim.submit(self.token).status, 201)

    def test_drop_after_processing_then_retry_is_a_replay(self):
        self.faults({"script": [{"drop": "after"}]})
        with self.assertRaises(DROPPED):
            self.sim.submit(self.token)
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 1)
        r = self.sim.submit(self.token)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"], "ontvangen")
        self.assertEqual(self.sim.call("GET", f"{A}/{r.json()['id']}", self.token).body, r.body)
        self.assertEqual(self.sim.ctl("GET", "/counters")["aanmeldingen_created"], 1)

    def run_seeded(self, cfg, n):
        self.sim.ctl("POST", "/reset")
        token = self.fresh_token()
        self.faults(cfg)
        out = []
        for _ in range(n):
            r = self.sim.call("GET", f"{A}/wijzigingen", token)
            out.append((r.status, r.headers.get("Retry-After")))
        return out

    def test_random_faults_are_reproducible_with_a_seed(self):
        cfg = {"seed": 42, "rate_429": 0.2, "rate_503": 0.2, "rate_500": 0.1, "retry_after": 2}
        first = self.run_seeded(cfg, 40)
        self.assertEqual(self.run_seeded(cfg, 40), first)
        self.assertEqual({s for s, _ in first}, {200, 429, 503, 500})
        for status, retry_after in first:
            self.assertEqual(retry_after, "2" if status in (429, 503) else None)
        other = self.run_seeded(dict(cfg, seed=43), 40)
        self.assertNotEqual(other, first)

    def test_latency_is_applied_and_recorded(self):
        self.faults({"latency_ms": 15})
        self.assertEqual(self.sim.call("GET", f"{A}/wijzigingen", self.token).status, 200)
        self.assertEqual(self.sim.ctl("GET", "/requests")["requests"][-1]["latency_ms"], 15)

    def test_token_endpoint_is_spared_unless_included(self):
        self.faults({"script": [{"status": 503}]})
        self.fresh_token()
        self.assertEqual(self.sim.call("GET", f"{A}/wijzigingen", self.token).status, 503)
        self.faults({"include_token_endpoint": True, "script": [{"status": 503}]})
        r = self.sim.request("POST", "/oauth/token", b"grant_type=client_credentials",
                             {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertFout(r, 503, "niet_beschikbaar")

    def test_fault_config_is_checked_and_readable(self):
        for bad in ({"rate_5xx": 0.1}, {"rate_500": 1.5}, {"rate_429": 0.6, "rate_503": 0.6},
                    {"retry_after": -1}, {"script": [{"status": 404}]},
                    {"script": [{"drop": "sometimes"}]}, {"seed": "x"}):
            status, out = self.sim.control("PUT", "/faults", bad)
            self.assertEqual(status, 400, bad)
            self.assertIn("faults", out["error"])
        self.faults({"rate_503": 0.3, "seed": 5})
        view = self.sim.ctl("GET", "/faults")
        self.assertEqual((view["rate_503"], view["seed"], view["rate_500"]), (0.3, 5, 0.0))
        self.assertEqual(self.sim.ctl("DELETE", "/faults")["rate_503"], 0.0)

    def test_each_referral_arrives_once_under_faults_and_revocation(self):
        """A client that retries with the same key and bytes and refreshes its token on 401."""
        self.faults({"seed": 7, "rate_429": 0.1, "rate_503": 0.1, "rate_500": 0.05,
                     "rate_drop": 0.05, "rate_drop_after": 0.1})
        token, attempts, results = self.token, 0, {}
        for n in range(12):
            body, key = body_of(aanmelding(referentie=f"r{n}")), f"key-{n}"
            if n == 6:
                self.sim.ctl("POST", "/tokens/revoke")
            while True:
                attempts += 1
                self.assertLess(attempts, 200, "no progress under faults")
                try:
                    r = self.sim.call("POST", A, token, body, key)
                except DROPPED:
                    continue
                if r.status == 401:
                    token = self.fresh_token()
                    continue
                if r.status in (429, 500, 503):
                    continue
                self.assertIn(r.status, (200, 201), r)
                results[f"r{n}"] = r.json()["id"]
                break
        counters = self.sim.ctl("GET", "/counters")
        self.assertEqual(counters["aanmeldingen_created"], 12)
        stored = self.sim.ctl("GET", "/aanmeldingen")["aanmeldingen"]
        self.assertEqual(sorted(s["aanmelding"]["referentie"] for s in stored),
                         sorted(results))
        self.assertEqual(len(set(results.values())), 12)
        self.assertGreater(attempts, 12)  # faults did happen


if __name__ == "__main__":
    unittest.main()
