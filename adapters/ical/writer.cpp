#include "ical/writer.hpp"

#include "ical/text.hpp"

namespace schakel::ical {
namespace {

// The rules in force since 1996 (EU summer time): last Sunday of March 02:00 CET to CEST, last
// Sunday of October 03:00 CEST back to CET. Meetings are never planned before that.
constexpr const char* k_amsterdam_vtimezone[] = {
    "BEGIN:VTIMEZONE",          "TZID:Europe/Amsterdam",
    "BEGIN:DAYLIGHT",           "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",         "TZNAME:CEST",
    "DTSTART:19810329T020000",  "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",             "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",       "TZOFFSETTO:+0100",
    "TZNAME:CET",               "DTSTART:19961027T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
};

std::string compact(const std::string& rfc3339) {
  // "2026-11-24T09:30:00..." -> "20261124T093000"
  std::string out;
  for (std::size_t i = 0; i < 19 && i < rfc3339.size(); ++i) {
    if (rfc3339[i] != '-' && rfc3339[i] != ':') out += rfc3339[i];
  }
  return out;
}

std::string cal_address(const Attendee& a, bool organizer) {
  std::string line = organizer ? "ORGANIZER" : "ATTENDEE";
  if (!a.name.empty()) line += ";CN=" + param_value(a.name);
  if (!organizer) {
    line += a.optional ? ";ROLE=OPT-PARTICIPANT" : ";ROLE=REQ-PARTICIPANT";
    line += ";PARTSTAT=";
    line += partstat_ical(a.partstat);
  }
  return line + ":mailto:" + a.email;
}

}  // namespace

std::string ical_local_amsterdam(TimePoint t) { return compact(format_amsterdam(t)); }
std::string ical_utc(TimePoint t) { return compact(format_utc(t)) + "Z"; }

std::string write_calendar(std::span<const Event> events) {
  std::string out;
  auto line = [&out](const std::string& l) { out += fold_line(l); };
  line("BEGIN:VCALENDAR");
  line("VERSION:2.0");
  line("PRODID:-//Schakel//Schakel 0.1//NL");
  line("CALSCALE:GREGORIAN");
  for (const char* l : k_amsterdam_vtimezone) line(l);
  for (const Event& e : events) {
    line("BEGIN:VEVENT");
    line("UID:" + e.uid);
    line("SEQUENCE:" + std::to_string(e.sequence));
    line("DTSTAMP:" + ical_utc(e.dtstamp));
    line("DTSTART;TZID=Europe/Amsterdam:" + ical_local_amsterdam(e.start));
    line("DTEND;TZID=Europe/Amsterdam:" + ical_local_amsterdam(e.end));
    line("SUMMARY:" + escape_text(e.summary));
    if (!e.location.empty()) line("LOCATION:" + escape_text(e.location));
    if (!e.description.empty()) line("DESCRIPTION:" + escape_text(e.description));
    line(e.status == EventStatus::cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
    line("TRANSP:OPAQUE");
    if (e.organizer) line(cal_address(*e.organizer, true));
    for (const Attendee& a : e.attendees) line(cal_address(a, false));
    line("END:VEVENT");
  }
  line("END:VCALENDAR");
  return out;
}

}  // namespace schakel::ical
