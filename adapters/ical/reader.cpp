#include "ical/reader.hpp"

#include <cctype>
#include <chrono>

#include "ical/text.hpp"

namespace schakel::ical {
namespace {

std::string upper(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string strip_mailto(const std::string& v) {
  if (v.size() >= 7 && upper(v.substr(0, 7)) == "MAILTO:") return v.substr(7);
  return v;
}

}  // namespace

Result<ContentLine> parse_content_line(std::string_view line) {
  ContentLine out;
  std::size_t i = 0;
  while (i < line.size() && line[i] != ';' && line[i] != ':') ++i;
  if (i == 0 || i == line.size()) return error(ErrorCode::invalid, "not a content line (NAME:value)");
  out.name = upper(line.substr(0, i));
  while (line[i] == ';') {
    const std::size_t eq = line.find('=', i + 1);
    if (eq == std::string_view::npos) return error(ErrorCode::invalid, "parameter without '=' in " + out.name);
    const std::string pname = upper(line.substr(i + 1, eq - i - 1));
    std::string pvalue;
    std::size_t j = eq + 1;
    bool in_quotes = false;
    for (; j < line.size(); ++j) {
      const char c = line[j];
      if (c == '"') {
        in_quotes = !in_quotes;
        continue;
      }
      if (!in_quotes && (c == ';' || c == ':')) break;
      pvalue += c;
    }
    if (j == line.size()) return error(ErrorCode::invalid, "no ':' after the parameters of " + out.name);
    out.params[pname] = pvalue;
    i = j;
  }
  out.value = std::string(line.substr(i + 1));
  return out;
}

Result<TimePoint> resolve_time(const std::string& value, const std::string& tzid) {
  using namespace std::chrono;
  auto digits = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (k >= value.size() || !std::isdigit(static_cast<unsigned char>(value[k]))) return -1;
      v = v * 10 + (value[k] - '0');
    }
    return v;
  };
  const int y = digits(0, 4), mo = digits(4, 2), d = digits(6, 2);
  if (y < 0 || mo < 0 || d < 0) return error(ErrorCode::invalid, "bad date \"" + value + "\"");
  int h = 0, mi = 0, s = 0;
  bool utc = false;
  if (value.size() > 8) {
    if (value[8] != 'T') return error(ErrorCode::invalid, "bad date-time \"" + value + "\"");
    h = digits(9, 2), mi = digits(11, 2), s = digits(13, 2);
    if (h < 0 || mi < 0 || s < 0) return error(ErrorCode::invalid, "bad date-time \"" + value + "\"");
    utc = value.size() == 16 && value[15] == 'Z';
    if (!utc && value.size() != 15) return error(ErrorCode::invalid, "bad date-time \"" + value + "\"");
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return error(ErrorCode::invalid, "no such date \"" + value + "\"");
  const auto wall = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  const TimePoint as_utc{duration_cast<TimePoint::duration>(wall.time_since_epoch())};
  if (utc || upper(tzid) == "UTC") return as_utc;
  (void)tzid;  // every other zone is read as Amsterdam wall time (see the header)
  // Try winter time first, then summer time; in the autumn overlap winter time wins.
  for (const auto offset : {hours{1}, hours{2}}) {
    const TimePoint candidate = as_utc - offset;
    if (amsterdam_utc_offset(candidate) == offset) return candidate;
  }
  return as_utc - hours{1};  // the spring gap: a wall time that does not exist
}

Result<Event> read_event(std::string_view ics) {
  const std::string text = unfold(ics);
  Event e;
  bool in_event = false, seen_event = false, seen_start = false;
  int nested = 0;  // VALARM and the like inside the VEVENT
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size() && !seen_event) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view raw(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty()) continue;
    auto parsed = parse_content_line(raw);
    if (!parsed) return parsed.status().with_context("line " + std::to_string(line_no));
    const ContentLine& cl = *parsed;
    const std::string uv = upper(cl.value);
    if (cl.name == "BEGIN") {
      if (in_event) ++nested;
      if (uv == "VEVENT") in_event = true;
      continue;
    }
    if (cl.name == "END") {
      if (in_event && nested > 0) {
        --nested;
      } else if (in_event && uv == "VEVENT") {
        seen_event = true;
      }
      continue;
    }
    if (!in_event || nested > 0) continue;
    auto where = [&](const Status& s) { return s.with_context("line " + std::to_string(line_no) + ": " + cl.name); };
    auto tzid = cl.params.count("TZID") ? cl.params.at("TZID") : std::string{};
    if (cl.name == "UID") {
      e.uid = cl.value;
    } else if (cl.name == "SEQUENCE") {
      try {
        e.sequence = std::stoll(cl.value);
      } catch (const std::exception&) {
        return where(error(ErrorCode::invalid, "not an integer"));
      }
    } else if (cl.name == "DTSTAMP") {
      auto t = resolve_time(cl.value, tzid);
      if (!t) return where(t.status());
      e.dtstamp = *t;
    } else if (cl.name == "DTSTART" || cl.name == "DTEND") {
      auto t = resolve_time(cl.value, tzid);
      if (!t) return where(t.status());
      (cl.name == "DTSTART" ? e.start : e.end) = *t;
      seen_start = seen_start || cl.name == "DTSTART";
    } else if (cl.name == "SUMMARY") {
      e.summary = unescape_text(cl.value);
    } else if (cl.name == "LOCATION") {
      e.location = unescape_text(cl.value);
    } else if (cl.name == "DESCRIPTION") {
      e.description = unescape_text(cl.value);
    } else if (cl.name == "STATUS") {
      e.status = uv == "CANCELLED" ? EventStatus::cancelled : EventStatus::planned;
    } else if (cl.name == "ORGANIZER" || cl.name == "ATTENDEE") {
      Attendee a;
      a.email = strip_mailto(cl.value);
      if (cl.params.count("CN")) a.name = cl.params.at("CN");
      if (cl.params.count("PARTSTAT")) {
        // An unknown PARTSTAT (an x-name) counts as needs-action, as RFC 5545 says for unknown values.
        a.partstat = partstat_from_ical(cl.params.at("PARTSTAT")).value_or(PartStat::needs_action);
      }
      a.optional = cl.params.count("ROLE") && upper(cl.params.at("ROLE")) == "OPT-PARTICIPANT";
      if (cl.name == "ORGANIZER") {
        e.organizer = a;
      } else {
        e.attendees.push_back(a);
      }
    }
  }
  if (!seen_event) return error(ErrorCode::invalid, "no complete VEVENT");
  if (e.uid.empty()) return error(ErrorCode::invalid, "VEVENT without UID");
  if (!seen_start) return error(ErrorCode::invalid, "VEVENT " + e.uid + " without DTSTART");
  if (e.end == TimePoint{}) e.end = e.start;
  return e;
}

}  // namespace schakel::ical
