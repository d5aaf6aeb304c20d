#!/usr/bin/python3
"""An independent reading of an ICS file for the calendar-ics tests: Debian's python3-icalendar
parses it (time zones from its VTIMEZONEs, Windows names through icalendar's own table) and
python3-dateutil expands each RRULE; EXDATEs and RECURRENCE-ID overrides are applied here.

  icalendar_expect.py FILE FIRST_DAY LAST_DAY

Prints one line per instance starting within the window (Europe/Amsterdam dates, both
included), sorted: "UID|RECURRENCE-ID|START|STATUS", START in UTC as YYYYMMDDTHHMMSSZ (all-day:
the date YYYYMMDD), RECURRENCE-ID in the same form or empty for a single event.
"""
import datetime
import sys

import icalendar
import pytz
from dateutil import rrule

AMS = pytz.timezone("Europe/Amsterdam")
UTC = pytz.utc


def key(dt):
    if not isinstance(dt, datetime.datetime):
        return dt.strftime("%Y%m%d")
    if dt.tzinfo is None:
        dt = AMS.localize(dt)  # floating: the school's own time
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def localize(tz, naive):
    return tz.localize(naive) if hasattr(tz, "localize") else naive.replace(tzinfo=tz)


def instances(ev):
    start = ev["DTSTART"].dt
    if "RRULE" not in ev:
        return [start]
    rule = ev["RRULE"].to_ical().decode()
    if isinstance(start, datetime.datetime):
        tz = start.tzinfo or AMS
        naive = start.replace(tzinfo=None)
        if "UNTIL" in ev["RRULE"] and isinstance(ev["RRULE"]["UNTIL"][0], datetime.datetime):
            until = ev["RRULE"]["UNTIL"][0]
            local_until = until.astimezone(tz).replace(tzinfo=None) if until.tzinfo else until
            rule = ";".join(p for p in rule.split(";") if not p.startswith("UNTIL="))
            rule += ";UNTIL=" + local_until.strftime("%Y%m%dT%H%M%S")
        # Expand in local wall time, then attach the zone: what RFC 5545 asks across DST.
        return [localize(tz, t) for t in rrule.rrulestr(rule, dtstart=naive, cache=False)[:5000]]
    return [t.date() for t in rrule.rrulestr(rule, dtstart=datetime.datetime.combine(start, datetime.time()))[:5000]]


def main():
    path, first, last = sys.argv[1], sys.argv[2], sys.argv[3]
    cal = icalendar.Calendar.from_ical(open(path, "rb").read())
    lo = AMS.localize(datetime.datetime.strptime(first, "%Y-%m-%d"))
    hi = AMS.localize(datetime.datetime.strptime(last, "%Y-%m-%d") + datetime.timedelta(days=1))

    def inside(dt):
        if not isinstance(dt, datetime.datetime):
            dt = AMS.localize(datetime.datetime.combine(dt, datetime.time()))
        elif dt.tzinfo is None:
            dt = AMS.localize(dt)
        return lo <= dt < hi

    events = [c for c in cal.walk("VEVENT")]
    out = {}
    for ev in events:
        if "RECURRENCE-ID" in ev:
            continue
        uid = str(ev["UID"])
        recurring = "RRULE" in ev
        excluded = set()
        for ex in (ev.get("EXDATE") if isinstance(ev.get("EXDATE"), list) else [ev.get("EXDATE")] if ev.get("EXDATE") else []):
            for d in ex.dts:
                excluded.add(key(d.dt))
        status = str(ev.get("STATUS", "CONFIRMED"))
        for t in instances(ev):
            k = key(t)
            if k in excluded or not inside(t):
                continue
            out[(uid, k if recurring else "")] = (key(t), status)
    for ev in events:
        if "RECURRENCE-ID" not in ev:
            continue
        uid = str(ev["UID"])
        k = key(ev["RECURRENCE-ID"].dt)
        start = ev["DTSTART"].dt
        if (uid, k) in out or inside(start):
            out[(uid, k)] = (key(start), str(ev.get("STATUS", "CONFIRMED")))
    for (uid, rid), (start, status) in sorted(out.items()):
        print(f"{uid}|{rid}|{start}|{status}")


if __name__ == "__main__":
    main()
