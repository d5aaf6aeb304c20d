"""OneRoster data for the fake REST server: a CSV bundle (as scripts/gen-oneroster writes it, or any
1.1/1.2 bundle) turned into the REST binding's JSON objects, the way the 1EdTech binding maps
CSV columns to JSON (GUIDRefs for references, arrays for lists, userIds as {type, identifier},
extension columns "metadata.<x>" into the metadata object). A delta bundle is merged by
sourcedId; its tobedeleted rows stay as tombstones."""

import csv
import os

COLLECTIONS = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"]
BASES = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}
REF_TYPE = {"orgs": "org", "users": "user", "classes": "class", "courses": "course",
            "academicSessions": "academicSession"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def split(value):
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Store:
    def __init__(self, base_href):
        self.base_href = base_href  # "https://127.0.0.1:N"
        self.version = "1.2"
        self.objects = {c: {} for c in COLLECTIONS}

    def ref(self, collection, sourced_id):
        if not sourced_id:
            return None
        return {"href": f"{self.base_href}{BASES[self.version]}/{collection}/{sourced_id}", "sourcedId": sourced_id,
                "type": REF_TYPE[collection]}

    def load(self, directory, merge=False):
        """Reads a bundle directory; without merge the data is replaced."""
        manifest = {r["propertyName"]: r["value"] for r in read_csv(os.path.join(directory, "manifest.csv"))}
        version = manifest.get("oneroster.version", "1.2")
        if version not in ("1.1", "1.2"):
            raise ValueError(f"oneroster.version {version!r} is not 1.1 or 1.2")
        if not merge:
            self.objects = {c: {} for c in COLLECTIONS}
        self.version = version
        roles = {}
        if manifest.get("file.roles", "absent") != "absent":
            for r in read_csv(os.path.join(directory, "roles.csv")):
                if r.get("status") != "tobedeleted":
                    roles.setdefault(r["userSourcedId"], []).append(r)
        for name in COLLECTIONS:
            if manifest.get(f"file.{name}", "absent") == "absent":
                continue
            for row in read_csv(os.path.join(directory, f"{name}.csv")):
                obj = self.to_json(name, row, roles)
                self.objects[name][obj["sourcedId"]] = obj
        # A user whose roles changed in a delta without a users row keeps its old object.
        return {c: len(v) for c, v in self.objects.items()}

    def base(self, row):
        return {"sourcedId": row["sourcedId"], "status": row.get("status") or "active",
                "dateLastModified": row.get("dateLastModified") or "", "metadata": self.metadata(row)}

    @staticmethod
    def metadata(row):
        return {k[len("metadata."):]: v for k, v in row.items() if k.startswith("metadata.") and v}

    def to_json(self, name, row, roles):
        o = self.base(row)
        if name == "orgs":
            o.update(name=row.get("name", ""), type=row.get("type", ""), identifier=row.get("identifier", ""),
                     parent=self.ref("orgs", row.get("parentSourcedId")), children=[])
        elif name == "classes":
            o.update(title=row.get("title", ""), classCode=row.get("classCode", ""),
                     classType=row.get("classType", ""), location=row.get("location", ""),
                     grades=split(row.get("grades")), subjects=split(row.get("subjects")),
                     course=self.ref("courses", row.get("courseSourcedId")),
                     school=self.ref("orgs", row.get("schoolSourcedId")),
                     terms=[self.ref("academicSessions", t) for t in split(row.get("termSourcedIds"))])
        elif name == "enrollments":
            o.update(role=row.get("role", ""), primary=row.get("primary", "false") == "true",
                     user=self.ref("users", row.get("userSourcedId")),
                     **{"class": self.ref("classes", row.get("classSourcedId"))},
                     school=self.ref("orgs", row.get("schoolSourcedId")),
                     beginDate=row.get("beginDate") or None, endDate=row.get("endDate") or None)
        elif name == "demographics":
            o.update(birthDate=row.get("birthDate") or None, sex=row.get("sex") or None)
        elif name == "users":
            o.update(self.user(row, roles.get(row["sourcedId"], [])))
        else:
            o.update({k: v for k, v in row.items() if k not in o and not k.startswith("metadata.")})
        return o

    def user(self, row, roles):
        ids = []
        for part in (row.get("userIds") or "").replace("},", "}\n").split("\n"):
            part = part.strip()
            if part.startswith("{") and part.endswith("}") and ":" in part:
                t, ident = part[1:-1].split(":", 1)
                ids.append({"type": t, "identifier": ident})
        u = {"username": row.get("username", ""), "userIds": ids, "givenName": row.get("givenName", ""),
             "familyName": row.get("familyName", ""), "middleName": row.get("middleName", ""),
             "identifier": row.get("identifier", ""), "email": row.get("email", ""), "sms": row.get("sms", ""),
             "phone": row.get("phone", ""), "agents": [self.ref("users", a) for a in split(row.get("agentSourcedIds"))],
             "grades": split(row.get("grades"))}
        if self.version == "1.1":
            u.update(enabledUser=row.get("enabledUser", "true"), role=row.get("role", ""),
                     orgs=[self.ref("orgs", o) for o in split(row.get("orgSourcedIds"))])
        else:
            u.update(enabledUser=row.get("enabledUser", "true") != "false",
                     preferredFirstName=row.get("preferredGivenName", ""),
                     primaryOrg=self.ref("orgs", row.get("primaryOrgSourcedId")),
                     roles=[{"roleType": r.get("roleType", "primary"), "role": r.get("role", ""),
                             "org": self.ref("orgs", r.get("orgSourcedId")),
                             "beginDate": r.get("beginDate") or None, "endDate": r.get("endDate") or None}
                            for r in roles])
        return u

    def upsert(self, collection, objects):
        if collection not in self.objects:
            raise KeyError(collection)
        for o in objects:
            if not isinstance(o, dict) or not isinstance(o.get("sourcedId"), str):
                raise ValueError("every object needs a string sourcedId")
            self.objects[collection][o["sourcedId"]] = o
        return len(objects)
