"""The YAML subset reader and the schema validator, without a server."""

import os
import tempfile
import unittest

import contract as ct
import mini_yaml


class MiniYamlTest(unittest.TestCase):
    def test_block_and_flow_collections(self):
        doc = mini_yaml.load(
            "a:\n"
            "  b: {type: string, pattern: '^[0-9]{2}$', example: van der}\n"
            "  c: [x, 'y, z', 3, true, ~]\n"
            "  d:\n"
            "    - {in: header, name: K}\n"
            "    - url: https://x.invalid\n"
            "      n: 2\n"
            "  e:\n"
            "  - plain text: with colon inside\n"
            "  '200': {description: 'it''s ok'}\n"
            "  f: the student's key\n"
            "# comment\n"
            "g: |\n"
            "  line one\n"
            "    indented\n"
            "\n"
            "  last\n"
            "h: \"esc\\tape\"\n")
        self.assertEqual(doc["a"]["b"], {"type": "string", "pattern": "^[0-9]{2}$",
                                         "example": "van der"})
        self.assertEqual(doc["a"]["c"], ["x", "y, z", 3, True, None])
        self.assertEqual(doc["a"]["d"], [{"in": "header", "name": "K"},
                                         {"url": "https://x.invalid", "n": 2}])
        self.assertEqual(doc["a"]["e"], [{"plain text": "with colon inside"}])
        self.assertEqual(doc["a"]["200"], {"description": "it's ok"})
        self.assertEqual(doc["a"]["f"], "the student's key")
        self.assertEqual(doc["g"], "line one\n  indented\n\nlast\n")
        self.assertEqual(doc["h"], "esc\tape")

    def test_unsupported_or_broken_input_names_the_line(self):
        for text, line in (("a: 1\na: 2\n", ":2:"), ("a: &x 1\n", ":1:"),
                           ("a: {b: [1, 2\n", ":1:"), ("a:\n  b: 1\n    c: 2\n", ":3:"),
                           ("a: 1\n---\nb: 2\n", ":2:")):
            with self.assertRaises(mini_yaml.YamlError) as e:
                mini_yaml.load(text, "f.yaml")
            self.assertIn("f.yaml" + line, str(e.exception), text)


class ContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = ct.Contract(ct.find_contract())

    def test_the_contract_is_read(self):
        self.assertEqual(self.c.schemas["Leerling"]["required"],
                         ["schoolsleutel", "voornamen", "achternaam", "geboortedatum", "groep"])
        self.assertEqual(self.c.query_schema("/api/v1/aanmeldingen/wijzigingen", "limit"),
                         {"type": "integer", "minimum": 1, "maximum": 500, "default": 100})
        withdraw = self.c.request_schema("/api/v1/aanmeldingen/{id}/intrekking")
        self.assertEqual(withdraw["properties"]["reden"]["enum"],
                         ["toestemming_ingetrokken", "niet_meer_nodig", "anders"])

    def test_pointers_escape_and_nest(self):
        schema = {"type": "object", "properties": {
            "a/b": {"type": "array", "items": {"$ref": "#/components/schemas/Bijlage"}}}}
        errors = self.c.validate({"a/b": [{"soort": "opp", "naam": "n", "sha256": "0" * 64},
                                          {"soort": "opp"}]}, schema)
        self.assertEqual([e["pad"] for e in errors], ["/a~1b/1/naam", "/a~1b/1/sha256"])

    def test_formats_and_anchored_patterns(self):
        leerling = {"$ref": "#/components/schemas/Leerling"}
        ok = {"schoolsleutel": "1", "voornamen": "A", "achternaam": "B",
              "geboortedatum": "2016-02-29", "groep": "3", "bsn": "123456789", "jaargroep": 1}
        self.assertEqual(self.c.validate(ok, leerling), [])
        for field, value in (("geboortedatum", "2015-02-29"), ("geboortedatum", "2015-2-1"),
                             ("bsn", "123456789\n"), ("bsn", "12345678a"), ("jaargroep", True),
                             ("jaargroep", 1.5), ("geslacht", "m")):
            errors = self.c.validate(dict(ok, **{field: value}), leerling)
            self.assertEqual([e["pad"] for e in errors], ["/" + field], (field, value))

    def test_unknown_schema_keywords_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("components:\n  schemas:\n    X: {type: object, additionalProperties: false}\n")
            with self.assertRaises(ValueError) as e:
                ct.Contract(path)
            self.assertIn("additionalProperties", str(e.exception))


if __name__ == "__main__":
    unittest.main()
