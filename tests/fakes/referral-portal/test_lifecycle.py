"""After submission: status, decisions by the SWV (control port), withdrawal, supplement and
the paged change feed with its opaque cursor."""

import unittest

from harness import SimulatorTest, aanmelding, body_of

A = "/api/v1/aanmeldingen"
TOEGEKEND = {"status": "toegekend", "toelichting": "akkoord",
             "besluit": {"datum": "2024-10-01",
                         "arrangement": {"soort": "lezen", "ingangsdatum": "2024-10-07",
                                         "einddatum": "2025-07-18"}}}


class LifecycleTest(SimulatorTest):
    def setUp(self):
        super().setUp()
        self.token = self.fresh_token()

    def new(self, ref="ref-1"):
        r = self.sim.submit(self.token, aanmelding(referentie=ref), key="k-" + ref)
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def post(self, rid, what, doc, key):
        return self.sim.call("POST", f"{A}/{rid}/{what}", self.token, body_of(doc), key)

    def test_unknown_id_is_404_everywhere(self):
        self.assertFout(self.sim.call("GET", f"{A}/AM-999999", self.token), 404, "niet_gevonden")
        self.assertFout(self.post("AM-999999", "intrekking", {"reden": "anders"}, "w1"),
                        404, "niet_gevonden")
        self.assertFout(self.post("AM-999999", "aanvulling", {"toelichting": "x"}, "s1"),
                        404, "niet_gevonden")

    def test_another_clients_referral_looks_unknown(self):
        rid = self.new()
        self.sim.ctl("POST", "/clients", {"client_id": "school-2", "client_secret": "s2-y"})
        other = self.sim.token("school-2", "s2-y")
        self.tokens_seen.append(other)
        self.assertFout(self.sim.call("GET", f"{A}/{rid}", other), 404, "niet_gevonden")

    def test_decision_is_visible_in_the_status(self):
        rid = self.new()
        self.sim.ctl("POST", f"/aanmeldingen/{rid}/in_behandeling", {})
        self.assertEqual(self.sim.call("GET", f"{A}/{rid}", self.token).json()["status"],
                         "in_behandeling")
        self.sim.ctl("POST", f"/aanmeldingen/{rid}/besluit", TOEGEKEND)
        status = self.sim.call("GET", f"{A}/{rid}", self.token).json()
        self.assertEqual(status["status"], "toegekend")
        self.assertEqual(status["besluit"], TOEGEKEND["besluit"])
        self.assertEqual(status["toelichting"], "akkoord")
        tlv = {"status": "toegekend", "besluit": {"datum": "2024-10-01",
                                                  "tlv": {"categorie": "hoog",
                                                          "einddatum": "2026-07-31"}}}
        rid2 = self.new("ref-2")
        self.assertEqual(self.sim.ctl("POST", f"/aanmeldingen/{rid2}/besluit", tlv)["besluit"],
                         tlv["besluit"])

    def test_control_refuses_a_decision_outside_the_contract(self):
        rid = self.new()
        status, out = self.sim.control("POST", f"/aanmeldingen/{rid}/besluit", {
            "status": "toegekend", "besluit": {"datum": "1-10-2024", "tlv": {"categorie": "x"}}})
        self.assertEqual(status, 400)
        self.assertEqual(sorted(f["pad"] for f in out["fouten"]),
                         ["/besluit/datum", "/besluit/tlv/categorie"])
        status, _ = self.sim.control("POST", f"/aanmeldingen/{rid}/besluit",
                                     {"status": "toegekend", "besluit": {"datum": "2024-10-01"}})
        self.assertEqual(status, 400)
        self.sim.ctl("POST", f"/aanmeldingen/{rid}/besluit",
                     {"status": "afgewezen", "besluit": {"datum": "2024-10-01"}})
        status, _ = self.sim.control("POST", f"/aanmeldingen/{rid}/vraag", {"toelichting": "?"})
        self.assertEqual(status, 409)

    def test_withdrawal_and_its_replay(self):
        rid = self.new()
        doc = {"reden": "toestemming_ingetrokken", "toelichting": "ouders trekken in"}
        r = self.post(rid, "intrekking", doc, "w-1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["id"], r.json()["status"]), (rid, "ingetrokken"))
        again = self.post(rid, "intrekking", doc, "w-1")
        self.assertEqual((again.status, again.body), (200, r.body))
        self.assertFout(self.post(rid, "intrekking", {"reden": "anders"}, "w-1"),
                        409, "sleutel_hergebruikt")
        self.assertFout(self.post(rid, "intrekking", doc, "w-2"), 409, "besloten")
        view = self.sim.ctl("GET", f"/aanmeldingen/{rid}")
        self.assertEqual(view["intrekking"], doc)
        self.assertEqual(self.sim.ctl("GET", "/counters")["intrekkingen"], 1)

    def test_withdrawal_after_a_decision_is_409_besloten(self):
        for outcome in (TOEGEKEND, {"status": "afgewezen", "besluit": {"datum": "2024-10-02"}}):
            rid = self.new("r-" + outcome["status"])
            self.sim.ctl("POST", f"/aanmeldingen/{rid}/besluit", outcome)
            self.assertFout(self.post(rid, "intrekking", {"reden": "toestemming_ingetrokken"},
                                      "w-" + rid), 409, "besloten")

    def test_withdrawal_reason_is_validated(self):
        rid = self.new()
        body = self.assertFout(self.post(rid, "intrekking", {"reden": "zomaar"}, "w"),
                               422, "validatie")
        self.assertEqual([f["pad"] for f in body["fouten"]], ["/reden"])
        body = self.assertFout(self.post(rid, "intrekking", {}, "w2"), 422, "validatie")
        self.assertEqual([f["pad"] for f in body["fouten"]], ["/reden"])

    def test_supplement_only_when_a_question_is_open(self):
        rid = self.new()
        answer = {"toelichting": "Het OPP is bijgewerkt."}
        self.assertFout(self.post(rid, "aanvulling", answer, "s-1"), 409, "geen_vraag_open")
        self.sim.ctl("POST", f"/aanmeldingen/{rid}/vraag", {"toelichting": "Graag het OPP."})
        status = self.sim.call("GET", f"{A}/{rid}", self.token).json()
        self.assertEqual((status["status"], status["toelichting"]),
                         ("aanvullende_informatie_gevraagd", "Graag het OPP."))
        self.assertFout(self.post(rid, "aanvulling", {"toelichting": ""}, "s-2"), 422,
                        "validatie")
        r = self.post(rid, "aanvulling", answer, "s-3")
        self.assertEqual((r.status, r.json()["status"]), (200, "in_behandeling"))
        self.assertEqual(self.post(rid, "aanvulling", answer, "s-3").body, r.body)
        self.assertFout(self.post(rid, "aanvulling", answer, "s-4"), 409, "geen_vraag_open")
        self.assertEqual(self.sim.ctl("GET", f"/aanmeldingen/{rid}")["aanvullingen"], [answer])

    # --- change feed ------------------------------------------------------------------------

    def page(self, cursor=None, limit=None, token=None):
        q = "&".join(f"{k}={v}" for k, v in (("cursor", cursor), ("limit", limit)) if v)
        r = self.sim.call("GET", f"{A}/wijzigingen" + ("?" + q if q else ""),
                          token or self.token)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(set(body), {"wijzigingen", "volgende_cursor", "meer"})
        return body

    def drain(self, limit):
        seen, cursor, pages = [], None, 0
        while True:
            body = self.page(cursor, limit)
            pages += 1
            seen += [(c["id"], c["status"]) for c in body["wijzigingen"]]
            cursor = body["volgende_cursor"]
            if not body["meer"]:
                return seen, cursor, pages

    def test_changes_come_oldest_first_in_pages(self):
        a, b, c = self.new("a"), self.new("b"), self.new("c")
        self.sim.ctl("POST", f"/aanmeldingen/{b}/besluit", TOEGEKEND)
        self.post(a, "intrekking", {"reden": "niet_meer_nodig"}, "w-a")
        expected = [(a, "ontvangen"), (b, "ontvangen"), (c, "ontvangen"), (b, "toegekend"),
                    (a, "ingetrokken")]
        first = self.page(limit=2)
        self.assertTrue(first["meer"])
        self.assertEqual(len(first["wijzigingen"]), 2)
        seen, cursor, pages = self.drain(2)
        self.assertEqual((seen, pages), (expected, 3))
        empty = self.page(cursor)
        self.assertEqual((empty["wijzigingen"], empty["meer"]), ([], False))
        self.sim.ctl("POST", f"/aanmeldingen/{c}/vraag", {"toelichting": "?"})
        later = self.page(cursor)
        self.assertEqual([(x["id"], x["status"]) for x in later["wijzigingen"]],
                         [(c, "aanvullende_informatie_gevraagd")])
        self.assertEqual(later["wijzigingen"][0]["toelichting"], "?")

    def test_forged_or_foreign_cursors_are_400(self):
        self.new()
        good = self.page()["volgende_cursor"]
        tampered = ("B" if good[0] != "B" else "C") + good[1:]
        for bad in (tampered, "AAAAAAAAAAA", "", "not+a+cursor%21", good + "A"):
            r = self.sim.call("GET", f"{A}/wijzigingen?cursor={bad}", self.token)
            self.assertFout(r, 400, "ongeldige_cursor")
        self.sim.ctl("POST", "/clients", {"client_id": "school-2", "client_secret": "s2-z"})
        other = self.sim.token("school-2", "s2-z")
        self.tokens_seen.append(other)
        self.assertFout(self.sim.call("GET", f"{A}/wijzigingen?cursor={good}", other),
                        400, "ongeldige_cursor")

    def test_limit_is_checked(self):
        for bad in ("0", "501", "abc", "-1", "2.5"):
            r = self.sim.call("GET", f"{A}/wijzigingen?limit={bad}", self.token)
            self.assertFout(r, 400, "ongeldige_parameter")
        self.assertEqual(self.page(limit="500")["meer"], False)

    def test_duplicate_delivery_can_be_switched_on(self):
        ids = [self.new(f"d{n}") for n in range(5)]
        self.sim.ctl("PUT", "/faults", {"rate_duplicate_changes": 1.0})
        seen, _, _ = self.drain(2)
        self.assertEqual(sorted(set(seen)), sorted((i, "ontvangen") for i in ids))
        self.assertGreater(len(seen), len(ids))
        self.assertEqual([i for i, _ in dict.fromkeys(seen)], ids)  # still oldest first


if __name__ == "__main__":
    unittest.main()
