"""Fault injection for the portal simulator: scripted faults first (by count, in order), then
random ones from a seeded generator, so a test run can be repeated exactly."""

import random

DEFAULTS = {
    "seed": 0,
    "rate_429": 0.0,          # answer 429 with Retry-After
    "rate_503": 0.0,          # answer 503 with Retry-After
    "rate_500": 0.0,          # answer 500
    "rate_drop": 0.0,         # close the connection without a response, before processing
    "rate_drop_after": 0.0,   # process the request, then close without a response
    "retry_after": 0,         # seconds in Retry-After for 429/503
    "latency_ms": 0,          # delay before every API response
    "rate_duplicate_changes": 0.0,  # chance a wijzigingen page makes its last change come again
    "include_token_endpoint": False,  # whether /oauth/token is subject to faults too
    "script": [],             # faults for the next requests, in order, before random ones
}
_RATES = ("rate_429", "rate_503", "rate_500", "rate_drop", "rate_drop_after")


def _check_script_item(n, item):
    where = f"script[{n}]"
    if not isinstance(item, dict):
        return f"{where}: expected an object"
    keys = set(item)
    if keys == {"pass"} and item["pass"] is True:
        return None
    if "status" in item:
        if keys - {"status", "retry_after"}:
            return f"{where}: unknown keys {sorted(keys - {'status', 'retry_after'})}"
        if item["status"] not in (429, 500, 503):
            return f"{where}.status: must be 429, 500 or 503"
        ra = item.get("retry_after", 0)
        if not isinstance(ra, int) or isinstance(ra, bool) or ra < 0:
            return f"{where}.retry_after: must be an integer >= 0"
        return None
    if keys == {"drop"} and item["drop"] in ("before", "after"):
        return None
    return f"{where}: expected {{\"status\": 429|500|503}}, {{\"drop\": \"before\"|\"after\"}} or {{\"pass\": true}}"


def check(cfg):
    """Returns an error message naming the offending key, or None."""
    if not isinstance(cfg, dict):
        return "faults: expected a JSON object"
    unknown = set(cfg) - set(DEFAULTS)
    if unknown:
        return f"faults: unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}"
    merged = dict(DEFAULTS, **cfg)
    for key in _RATES + ("rate_duplicate_changes",):
        v = merged[key]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1:
            return f"faults.{key}: must be a number between 0 and 1"
    if sum(merged[k] for k in _RATES) > 1:
        return "faults: the sum of " + ", ".join(_RATES) + " must not exceed 1"
    for key in ("seed", "retry_after", "latency_ms"):
        v = merged[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            return f"faults.{key}: must be an integer >= 0"
    if not isinstance(merged["include_token_endpoint"], bool):
        return "faults.include_token_endpoint: must be true or false"
    if not isinstance(merged["script"], list):
        return "faults.script: must be an array"
    for n, item in enumerate(merged["script"]):
        problem = _check_script_item(n, item)
        if problem:
            return "faults." + problem
    return None


class Faults:
    """Not thread-safe on its own; the portal state's lock guards it."""

    def __init__(self, seed=0):
        self.configure({"seed": seed})

    def configure(self, cfg):
        self.cfg = dict(DEFAULTS, **cfg)
        self.cfg["script"] = list(self.cfg["script"])
        self.rng = random.Random(self.cfg["seed"])

    def view(self):
        return dict(self.cfg, script=list(self.cfg["script"]))

    def decide(self, token_endpoint):
        """The fault for one request: None, or a dict with 'status' (+ 'retry_after') or
        'drop' ('before' or 'after')."""
        if token_endpoint and not self.cfg["include_token_endpoint"]:
            return None
        if self.cfg["script"]:
            item = self.cfg["script"].pop(0)
            if "pass" in item:
                return None
            if "status" in item:
                return {"status": item["status"],
                        "retry_after": item.get("retry_after", self.cfg["retry_after"])}
            return dict(item)
        if sum(self.cfg[k] for k in _RATES) == 0:
            return None
        r, edge = self.rng.random(), 0.0
        for key in _RATES:
            edge += self.cfg[key]
            if r < edge:
                if key == "rate_drop":
                    return {"drop": "before"}
                if key == "rate_drop_after":
                    return {"drop": "after"}
                return {"status": int(key[5:]), "retry_after": self.cfg["retry_after"]}
        return None

    def latency_ms(self):
        return self.cfg["latency_ms"]

    def duplicate_changes(self):
        p = self.cfg["rate_duplicate_changes"]
        return p > 0 and self.rng.random() < p
