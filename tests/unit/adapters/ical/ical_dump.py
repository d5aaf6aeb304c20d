"""Parses an iCalendar file with python3-icalendar (an implementation independent of Schakel's)
and prints its events as JSON, so a test can check the fields Schakel wrote.
Usage: ical_dump.py FILE"""
import json
import sys

from icalendar import Calendar


def when(component, name):
    prop = component.get(name)
    value = component.decoded(name)
    return {"iso": value.isoformat(), "tzid": prop.params.get("TZID", "")}


def main():
    with open(sys.argv[1], "rb") as f:
        cal = Calendar.from_ical(f.read())
    out = {"version": str(cal.get("VERSION")), "prodid": str(cal.get("PRODID")),
           "timezones": [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")], "events": []}
    for ev in cal.walk("VEVENT"):
        attendees = ev.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        out["events"].append({
            "uid": str(ev.get("UID")),
            "sequence": int(ev.get("SEQUENCE")),
            "dtstamp": ev.decoded("DTSTAMP").isoformat(),
            "start": when(ev, "DTSTART"),
            "end": when(ev, "DTEND"),
            "summary": str(ev.get("SUMMARY")),
            "location": str(ev.get("LOCATION", "")),
            "description": str(ev.get("DESCRIPTION", "")),
            "status": str(ev.get("STATUS")),
            "organizer": str(ev.get("ORGANIZER", "")),
            "attendees": [{"address": str(a), "cn": str(a.params.get("CN", "")),
                           "partstat": str(a.params.get("PARTSTAT", "")),
                           "role": str(a.params.get("ROLE", ""))} for a in attendees],
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
