"""The OneRoster REST query parameters: limit/offset paging, sort/orderBy, fields and filter
(`field op 'value'`, ops = != > >= < <= ~, joined by one kind of logical operator, AND or OR).
A bad parameter raises QueryError with the imsx codeMinor the binding names for it."""

import re
from datetime import datetime, timezone

DEFAULT_LIMIT = 100


class QueryError(Exception):
    def __init__(self, code_minor, description):
        super().__init__(description)
        self.code_minor = code_minor
        self.description = description


PREDICATE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*$")


def parse_filter(text):
    """[(field, op, value)], 'AND' | 'OR' | None."""
    if text is None:
        return [], None
    if not text.strip():
        raise QueryError("invalid_filter_field", "filter is empty")
    parts, logic = [text], None
    for word in (" AND ", " OR "):
        pieces = split_outside_quotes(text, word)
        if len(pieces) > 1:
            if logic:
                raise QueryError("invalid_filter_field", "filter mixes AND and OR")
            parts, logic = pieces, word.strip()
    out = []
    for p in parts:
        m = PREDICATE.match(p)
        if not m:
            raise QueryError("invalid_filter_field", f"filter predicate {p.strip()!r} is not field op 'value'")
        out.append((m.group(1), m.group(2), m.group(3).replace("''", "'")))
    return out, logic


def split_outside_quotes(text, word):
    pieces, start, quoted, i = [], 0, False, 0
    while i < len(text):
        if text[i] == "'":
            quoted = not quoted
        elif not quoted and text.startswith(word, i):
            pieces.append(text[start:i])
            i += len(word)
            start = i
            continue
        i += 1
    pieces.append(text[start:])
    return pieces


def instant(value):
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t


def field_value(obj, field):
    v = obj
    for part in field.split("."):
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    if isinstance(v, dict) and "sourcedId" in v:
        return v["sourcedId"]
    return v


def matches(obj, predicate):
    field, op, want = predicate
    have = field_value(obj, field)
    if have is None:
        return op == "!="
    if isinstance(have, list):
        have = ",".join(str(x.get("sourcedId", x)) if isinstance(x, dict) else str(x) for x in have)
    if isinstance(have, bool):
        have = "true" if have else "false"
    have = str(have)
    if op == "~":
        return want.lower() in have.lower()
    a, b = have, want
    if field == "dateLastModified" or field.endswith("Date"):
        ta, tb = instant(have), instant(want)
        if tb is None:
            raise QueryError("invalid_filter_field", f"{want!r} is not a date-time for {field}")
        if ta is None:
            return False
        a, b = ta, tb
    return {"=": a == b, "!=": a != b, ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def select(objects, params, max_limit):
    """(page, total, limit, offset) for the query parameters (each a single string)."""
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
        offset = int(params.get("offset", 0))
    except ValueError:
        raise QueryError("invalid_selection_field", "limit and offset must be integers")
    if limit < 1 or offset < 0:
        raise QueryError("invalid_selection_field", "limit must be at least 1 and offset at least 0")
    limit = min(limit, max_limit)  # a server may cap the page; the client must follow its headers
    predicates, logic = parse_filter(params.get("filter"))
    rows = list(objects)
    if predicates:
        combine = all if logic != "OR" else any
        rows = [o for o in rows if combine(matches(o, p) for p in predicates)]
    sort = params.get("sort")
    order = params.get("orderBy", "asc")
    if order not in ("asc", "desc"):
        raise QueryError("invalid_sort_field", "orderBy must be asc or desc")
    if sort:
        rows.sort(key=lambda o: str(field_value(o, sort) or ""), reverse=order == "desc")
    total = len(rows)
    page = rows[offset:offset + limit]
    fields = params.get("fields")
    if fields:
        wanted = [f.strip() for f in fields.split(",") if f.strip()]
        page = [{k: o[k] for k in wanted if k in o} for o in page]
    return page, total, limit, offset


def link_header(url_without_query, params, total, limit, offset):
    def at(o):
        q = dict(params, limit=str(limit), offset=str(o))
        from urllib.parse import urlencode
        return f"<{url_without_query}?{urlencode(q)}>"
    links = [f'{at(0)}; rel="first"']
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links.append(f'{at(last)}; rel="last"')
    if offset + limit < total:
        links.append(f'{at(offset + limit)}; rel="next"')
    if offset > 0:
        links.append(f'{at(max(0, offset - limit))}; rel="prev"')
    return ", ".join(links)
