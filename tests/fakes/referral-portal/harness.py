"""Starts the simulator as a subprocess for tests (test CA made on the spot, port 0) and talks
to both of its ports."""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID = "school-1"
CLIENT_SECRET = "geheim-" + os.urandom(8).hex()


def aanmelding(**overrides):
    doc = {
        "school": {"brin": "12AB", "vestiging": "01", "naam": "De Regenboog"},
        "leerling": {"schoolsleutel": "L123", "voornamen": "Jan Pieter", "roepnaam": "Jan",
                     "voorvoegsel": "van der", "achternaam": "Berg",
                     "geboortedatum": "2015-03-14", "groep": "5B", "jaargroep": 5},
        "referentie": "ref-1",
        "soort": "arrangement",
        "hulpvraag": "Hoe ondersteunen we Jan bij lezen?",
        "toestemming": {"gegeven_door": ["ouder1", "ouder2"], "datum": "2024-09-01",
                        "doelen": ["swv_request"], "referentie": "consent-9"},
    }
    doc.update(overrides)
    return doc


def body_of(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Response({self.status}, {self.body[:300]!r})"


class Simulator:
    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="portal-sim-")
        subprocess.run([os.path.join(HERE, "make_test_ca.sh"), self.dir], check=True,
                       timeout=60)
        secret_file = os.path.join(self.dir, "secret")
        with open(secret_file, "w", encoding="utf-8") as f:
            f.write(CLIENT_SECRET + "\n")
        self.log_path = os.path.join(self.dir, "portal.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "portal.py"),
             "--cert", os.path.join(self.dir, "server.pem"),
             "--key", os.path.join(self.dir, "server.key"),
             "--client-id", CLIENT_ID, "--client-secret-file", secret_file, *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()  # the first line: ports, once both listen
        if not line:
            self.stop()
            raise RuntimeError("simulator exited before listening:\n" + self.log_text())
        ports = json.loads(line)
        self.port, self.control_port = ports["port"], ports["control_port"]
        self.tls = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.pem"))
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_2

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the API (HTTPS) --------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def token(self, client_id=CLIENT_ID, secret=CLIENT_SECRET):
        form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        r = self.request("POST", "/oauth/token", form.encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 200:
            raise AssertionError(f"token request failed: {r.status}")
        return r.json()["access_token"]

    def call(self, method, path, token, body=None, key=None, extra=None):
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(extra or {})
        return self.request(method, path, body, headers)

    def submit(self, token, doc=None, key="key-1"):
        return self.call("POST", "/api/v1/aanmeldingen", token,
                         body_of(doc if doc is not None else aanmelding()), key)

    # --- the control port (plain HTTP) ------------------------------------------------------

    def control(self, method, path, doc=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=30)
        try:
            body = json.dumps(doc).encode() if doc is not None else None
            conn.request(method, path, body=body,
                         headers={"Content-Type": "application/json"} if body else {})
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    def ctl(self, method, path, doc=None):
        status, out = self.control(method, path, doc)
        if status != 200:
            raise AssertionError(f"control {method} {path}: {status} {out}")
        return out


class SimulatorTest(unittest.TestCase):
    """One simulator per test class, reset before every test."""
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(cls.extra_args)
        cls.tokens_seen = []

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        log = cls.sim.log_text()
        cls.sim.cleanup()
        # Secrets and tokens never reach the log.
        if CLIENT_SECRET in log or any(t in log for t in cls.tokens_seen):
            raise AssertionError("the simulator logged a secret or a token")

    def setUp(self):
        self.sim.ctl("POST", "/reset")

    def fresh_token(self):
        t = self.sim.token()
        self.tokens_seen.append(t)
        return t

    def assertFout(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("Content-Type"), "application/json")
        body = r.json()
        self.assertEqual(body["code"], code, body)
        self.assertIsInstance(body["melding"], str)
        self.assertTrue(body["melding"])
        return body
