"""The portal contract, read from the OpenAPI document, and a validator for the JSON Schema
subset it uses. Errors carry JSON pointers (RFC 6901) such as /leerling/geboortedatum."""

import datetime
import os
import re

import mini_yaml

# Keywords that only annotate; everything else must be understood or the contract is refused,
# so a contract that grows a keyword cannot be silently under-validated.
_ANNOTATIONS = {"description", "example", "title", "default", "readOnly", "writeOnly"}
_HANDLED = {"type", "required", "properties", "enum", "pattern", "format", "minLength",
            "maxLength", "minItems", "maxItems", "minimum", "maximum", "items", "$ref"}

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+\Z")


def find_contract(explicit=None):
    """The contract path: explicit, $SCHAKEL_PORTAL_CONTRACT, or the known places in the repo."""
    if explicit:
        return explicit
    if os.environ.get("SCHAKEL_PORTAL_CONTRACT"):
        return os.environ["SCHAKEL_PORTAL_CONTRACT"]
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    for candidate in ("schemas/openapi/referral-portal.openapi.yaml",
                      "schemas/referral-portal.openapi.yaml",
                      "../shared/referral-portal.openapi.yaml"):
        path = os.path.normpath(os.path.join(repo, candidate))
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("referral-portal.openapi.yaml not found; pass --contract or set "
                            "SCHAKEL_PORTAL_CONTRACT")


def pointer(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _type_ok(kind, v):
    if kind == "object":
        return isinstance(v, dict)
    if kind == "array":
        return isinstance(v, list)
    if kind == "string":
        return isinstance(v, str)
    if kind == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    raise ValueError(f"unsupported type {kind!r} in contract")


def _ecma_pattern(p):
    # ECMA-262 '$' (non-multiline) matches only at the very end; Python's also before a final
    # newline, which would let "123456789\n" pass as a BSN.
    if p.endswith("$") and not p.endswith("\\$"):
        p = p[:-1] + r"\Z"
    return re.compile(p)


class Contract:
    def __init__(self, path):
        self.path = path
        self.doc = mini_yaml.load_file(path)
        self.schemas = self.doc["components"]["schemas"]
        self._patterns = {}
        self._check(self.doc)

    def _check(self, node):
        """Refuses schema keywords this validator does not implement."""
        if isinstance(node, dict):
            if "type" in node and isinstance(node.get("type"), str) and node["type"] in (
                    "object", "array", "string", "integer", "number", "boolean"):
                unknown = set(node) - _ANNOTATIONS - _HANDLED
                if unknown:
                    raise ValueError(f"{self.path}: unsupported schema keywords {sorted(unknown)}")
            for v in node.values():
                self._check(v)
        elif isinstance(node, list):
            for v in node:
                self._check(v)

    def request_schema(self, path, method="post"):
        op = self.doc["paths"][path][method]
        return op["requestBody"]["content"]["application/json"]["schema"]

    def statuses(self, path, method):
        """The response statuses the contract declares for an operation."""
        return {int(code) for code in self.doc["paths"][path][method]["responses"]}

    def query_schema(self, path, name, method="get"):
        for p in self.doc["paths"][path][method].get("parameters", []):
            if p.get("in") == "query" and p.get("name") == name:
                return p["schema"]
        raise KeyError(f"{path}: no query parameter {name}")

    def resolve(self, schema):
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return schema

    def validate(self, value, schema):
        """Returns a list of {pad, melding}; empty when the value conforms."""
        errors = []
        self._validate(value, schema, [], errors)
        return errors

    def _validate(self, v, schema, at, errors):
        schema = self.resolve(schema)

        def err(msg, where=at):
            errors.append({"pad": pointer(where), "melding": msg})

        kind = schema.get("type")
        if kind and not _type_ok(kind, v):
            err(f"verwacht type {kind}")
            return
        if "enum" in schema and v not in schema["enum"]:
            err("waarde niet toegestaan; toegestaan: " + ", ".join(map(str, schema["enum"])))
        if isinstance(v, str):
            self._string(v, schema, err)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if "minimum" in schema and v < schema["minimum"]:
                err(f"kleiner dan minimum {schema['minimum']}")
            if "maximum" in schema and v > schema["maximum"]:
                err(f"groter dan maximum {schema['maximum']}")
        if isinstance(v, list):
            if "minItems" in schema and len(v) < schema["minItems"]:
                err(f"minstens {schema['minItems']} element(en) vereist")
            if "maxItems" in schema and len(v) > schema["maxItems"]:
                err(f"hoogstens {schema['maxItems']} element(en) toegestaan")
            if "items" in schema:
                for n, item in enumerate(v):
                    self._validate(item, schema["items"], at + [n], errors)
        if isinstance(v, dict):
            for name in schema.get("required", []):
                if name not in v:
                    err("verplicht veld ontbreekt", at + [name])
            for name, sub in schema.get("properties", {}).items():
                if name in v:
                    self._validate(v[name], sub, at + [name], errors)

    def _string(self, v, schema, err):
        if "minLength" in schema and len(v) < schema["minLength"]:
            err(f"minstens {schema['minLength']} teken(s) vereist")
        if "maxLength" in schema and len(v) > schema["maxLength"]:
            err(f"hoogstens {schema['maxLength']} teken(s) toegestaan")
        if "pattern" in schema:
            p = schema["pattern"]
            if p not in self._patterns:
                self._patterns[p] = _ecma_pattern(p)
            if not self._patterns[p].search(v):
                err(f"voldoet niet aan patroon {p}")
        fmt = schema.get("format")
        if fmt == "date" and not _valid_date(v):
            err("geen geldige datum (JJJJ-MM-DD)")
        elif fmt == "date-time" and not _valid_date_time(v):
            err("geen geldig tijdstip (RFC 3339)")
        elif fmt == "email" and not _EMAIL.match(v):
            err("geen geldig e-mailadres")


def _valid_date(v):
    if not _DATE.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
        return True
    except ValueError:
        return False


def _valid_date_time(v):
    if not _DATE_TIME.match(v):
        return False
    try:
        datetime.datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00")
                                        .replace("t", "T"))
        return True
    except ValueError:
        return False
