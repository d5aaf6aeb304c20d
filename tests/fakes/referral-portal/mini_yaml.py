"""A reader for the subset of YAML that the OpenAPI contracts in this project use.

The fakes may use the Python standard library only, which has no YAML reader, and the
simulator must read its schemas from the contract itself rather than from a hand copy.
Supported: block mappings and sequences, single-line flow collections, single- and
double-quoted and plain scalars, literal (|) and folded (>) block scalars, full-line
comments. Anything else (anchors, aliases, tags, multi-line flow) is refused with file:line.
"""

import json
import re


class YamlError(ValueError):
    pass


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def _plain(text):
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


class _Flow:
    """Parses one flow value (scalar, {..} or [..]) from a single line."""

    def __init__(self, text, where):
        self.s, self.i, self.where = text, 0, where

    def fail(self, what):
        raise YamlError(f"{self.where}: {what} at column {self.i + 1}")

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def value(self, in_flow, is_key=False):
        self.ws()
        if self.i >= len(self.s):
            return None
        c = self.s[self.i]
        if c == "{":
            return self.mapping()
        if c == "[":
            return self.sequence()
        if c in "'\"":
            return self.quoted()
        if c in "&*!|>%@`":
            self.fail(f"unsupported YAML construct {c!r}")
        return self.plain(in_flow, is_key)

    def quoted(self):
        q = self.s[self.i]
        self.i += 1
        out = []
        while True:
            if self.i >= len(self.s):
                self.fail("unterminated quoted scalar")
            c = self.s[self.i]
            if q == "'" and c == "'":
                if self.s[self.i + 1:self.i + 2] == "'":
                    out.append("'")
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            if q == '"' and c == "\\":
                out.append(self.s[self.i:self.i + 2])
                self.i += 2
                continue
            if q == '"' and c == '"':
                self.i += 1
                return json.loads('"' + "".join(out) + '"')
            out.append(c)
            self.i += 1

    def plain(self, in_flow, is_key):
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if in_flow and c in ",]}":
                break
            nxt = self.s[self.i + 1:self.i + 2]
            if is_key and c == ":" and (nxt in ("", " ") or (in_flow and nxt in ",}")):
                break
            if c == "#" and self.i > start and self.s[self.i - 1] == " ":
                break
            self.i += 1
        return _plain(self.s[start:self.i].strip())

    def expect(self, ch):
        self.ws()
        if self.s[self.i:self.i + 1] != ch:
            self.fail(f"expected {ch!r}")
        self.i += 1

    def mapping(self):
        self.i += 1
        out = {}
        while True:
            self.ws()
            if self.s[self.i:self.i + 1] == "}":
                self.i += 1
                return out
            key = self.value(True, is_key=True)
            self.expect(":")
            if key in out:
                self.fail(f"duplicate key {key!r}")
            out[key] = self.value(True)
            self.ws()
            if self.s[self.i:self.i + 1] == ",":
                self.i += 1
            elif self.s[self.i:self.i + 1] != "}":
                self.fail("expected ',' or '}' (flow collections must fit on one line)")

    def sequence(self):
        self.i += 1
        out = []
        while True:
            self.ws()
            if self.s[self.i:self.i + 1] == "]":
                self.i += 1
                return out
            out.append(self.value(True))
            self.ws()
            if self.s[self.i:self.i + 1] == ",":
                self.i += 1
            elif self.s[self.i:self.i + 1] != "]":
                self.fail("expected ',' or ']' (flow collections must fit on one line)")

    def rest_is_empty(self):
        self.ws()
        rest = self.s[self.i:]
        return rest == "" or rest.startswith("#")


class _Block:
    def __init__(self, text, name):
        self.name = name
        self.lines = []  # (indent, content, line number)
        self.raw = text.split("\n")
        for n, line in enumerate(self.raw, 1):
            if "\t" in line[:len(line) - len(line.lstrip())]:
                raise YamlError(f"{name}:{n}: tab in indentation")
            stripped = line.strip()
            if stripped == "" or stripped.startswith("#"):
                continue
            if stripped in ("---", "..."):
                raise YamlError(f"{name}:{n}: multiple documents are not supported")
            self.lines.append((len(line) - len(line.lstrip(" ")), line.strip(), n))

    def where(self, i):
        return f"{self.name}:{self.lines[i][2]}"

    def inline(self, text, i):
        f = _Flow(text, self.where(i))
        if text[:1] in "&*!%@`":
            f.fail(f"unsupported YAML construct {text[0]!r}")
        if text[:1] in "{['\"":
            v = f.value(False)
            if not f.rest_is_empty():
                f.fail("unexpected text after value")
            return v
        return f.plain(False, False)

    def split_key(self, content, i):
        f = _Flow(content, self.where(i))
        key = f.value(False, is_key=True)
        if f.s[f.i:f.i + 1] != ":":
            return None, None
        return key, content[f.i + 1:].strip()

    def node(self, i, min_indent):
        if i >= len(self.lines) or self.lines[i][0] < min_indent:
            return None, i
        ind, content, _ = self.lines[i]
        if content == "-" or content.startswith("- "):
            return self.sequence(i, ind)
        return self.mapping(i, ind)

    def block_scalar(self, i, ind, header):
        folded, chomp = header[0] == ">", header[1:2]
        first_line = self.lines[i][2]  # 1-based index of the header line in raw
        body, n = [], first_line
        while n < len(self.raw):
            line = self.raw[n]
            if line.strip() and len(line) - len(line.lstrip(" ")) <= ind:
                break
            body.append(line)
            n += 1
        while body and not body[-1].strip():
            body.pop()
        indents = [len(b) - len(b.lstrip(" ")) for b in body if b.strip()]
        cut = min(indents) if indents else 0
        lines = [b[cut:] for b in body]
        text = (" " if folded else "\n").join(lines)
        if chomp != "-":
            text += "\n"
        while i + 1 < len(self.lines) and self.lines[i + 1][2] <= first_line + len(body):
            i += 1
        return text, i + 1

    def mapping(self, i, ind):
        out = {}
        while i < len(self.lines) and self.lines[i][0] == ind:
            content = self.lines[i][1]
            if content.startswith("- ") or content == "-":
                break
            key, rest = self.split_key(content, i)
            if key is None:
                raise YamlError(f"{self.where(i)}: expected 'key: value'")
            if key in out:
                raise YamlError(f"{self.where(i)}: duplicate key {key!r}")
            if rest == "" or rest.startswith("#"):
                nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
                if nxt and (nxt[0] > ind or (nxt[0] == ind and nxt[1].startswith("-"))):
                    out[key], i = self.node(i + 1, ind)
                else:
                    out[key], i = None, i + 1
            elif rest[0] in "|>":
                out[key], i = self.block_scalar(i, ind, rest)
            else:
                out[key], i = self.inline(rest, i), i + 1
        if i < len(self.lines) and self.lines[i][0] > ind:
            raise YamlError(f"{self.where(i)}: unexpected indentation")
        return out, i

    def sequence(self, i, ind):
        out = []
        while i < len(self.lines) and self.lines[i][0] == ind:
            content = self.lines[i][1]
            if not (content.startswith("- ") or content == "-"):
                break
            rest = content[1:].strip()
            if rest == "":
                item, i = self.node(i + 1, ind + 1)
            elif rest[0] not in "{['\"" and self.split_key(rest, i)[0] is not None:
                # "- key: value" opens a mapping whose keys line up with "key".
                offset = ind + len(content) - len(rest)
                self.lines[i] = (offset, rest, self.lines[i][2])
                item, i = self.mapping(i, offset)
            else:
                item, i = self.inline(rest, i), i + 1
            out.append(item)
        return out, i


def load(text, name="<yaml>"):
    b = _Block(text, name)
    value, i = b.node(0, 0)
    if i != len(b.lines):
        raise YamlError(f"{b.where(i)}: unexpected content")
    return value


def load_file(path):
    with open(path, encoding="utf-8") as f:
        return load(f.read(), str(path))
