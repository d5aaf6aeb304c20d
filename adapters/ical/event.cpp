#include "ical/event.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace schakel::ical {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<const char*, const char*>, 5> k_partstats{{
    {"NEEDS-ACTION", "needs_action"},
    {"ACCEPTED", "accepted"},
    {"DECLINED", "declined"},
    {"TENTATIVE", "tentative"},
    {"DELEGATED", "delegated"},
}};

Status bad(const std::string& pointer, const std::string& what) {
  return error(ErrorCode::invalid, pointer + ": " + what);
}

Result<std::string> string_at(const json& j, const char* key, const std::string& where, bool required) {
  const std::string ptr = where + "/" + key;
  if (!j.contains(key)) {
    if (required) return bad(ptr, "is required");
    return std::string{};
  }
  if (!j.at(key).is_string()) return bad(ptr, "must be a string");
  return j.at(key).get<std::string>();
}

// A local Europe/Amsterdam time whose offset must be the one in force at that instant.
Result<TimePoint> amsterdam_at(const json& j, const char* key, const std::string& where) {
  auto text = string_at(j, key, where, true);
  SCHAKEL_TRY(text);
  const std::string ptr = where + "/" + key;
  TimePoint t;
  const std::string& s = *text;
  if (s.size() != 25 || s[19] != '+' || !parse_rfc3339(s, t)) {
    return bad(ptr, "must be a Europe/Amsterdam time like 2026-11-24T09:30:00+01:00, not \"" + s + "\"");
  }
  if (format_amsterdam(t) != s) {
    return bad(ptr, "offset " + s.substr(19) + " is not Europe/Amsterdam's at " + s.substr(0, 19));
  }
  return t;
}

Result<Attendee> attendee_from_json(const json& j, const std::string& ptr, bool is_organizer) {
  if (!j.is_object()) return bad(ptr, "must be an object");
  Attendee a;
  auto email = string_at(j, "email", ptr, true);
  SCHAKEL_TRY(email);
  if (email->empty() || email->find_first_of(" \t\r\n:;,<>\"") != std::string::npos ||
      email->find('@') == std::string::npos) {
    return bad(ptr + "/email", "must be a plain e-mail address");
  }
  a.email = *email;
  auto name = string_at(j, "name", ptr, false);
  SCHAKEL_TRY(name);
  a.name = *name;
  if (is_organizer) return a;
  if (j.contains("partstat")) {
    const json& p = j.at("partstat");
    bool found = false;
    for (std::size_t i = 0; i < k_partstats.size(); ++i) {
      if (p.is_string() && p.get<std::string>() == k_partstats[i].second) {
        a.partstat = static_cast<PartStat>(i);
        found = true;
      }
    }
    if (!found) return bad(ptr + "/partstat", "must be one of needs_action, accepted, declined, tentative, delegated");
  }
  if (j.contains("optional")) {
    if (!j.at("optional").is_boolean()) return bad(ptr + "/optional", "must be a boolean");
    a.optional = j.at("optional").get<bool>();
  }
  return a;
}

}  // namespace

const char* partstat_ical(PartStat p) { return k_partstats.at(static_cast<std::size_t>(p)).first; }
const char* partstat_name(PartStat p) { return k_partstats.at(static_cast<std::size_t>(p)).second; }

std::optional<PartStat> partstat_from_ical(const std::string& value) {
  std::string upper;
  for (char c : value) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < k_partstats.size(); ++i) {
    if (upper == k_partstats[i].first) return static_cast<PartStat>(i);
  }
  return std::nullopt;
}

std::string format_amsterdam(TimePoint t) {
  const auto offset = amsterdam_utc_offset(t);
  const std::string utc = format_utc(t + std::chrono::duration_cast<TimePoint::duration>(offset));
  // Amsterdam is always one or two hours ahead of UTC.
  const std::string suffix = offset.count() >= 7200 ? "+02:00" : "+01:00";
  return utc.substr(0, 19) + suffix;
}

Result<Event> event_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return bad(where.empty() ? "/" : where, "must be an object");
  Event e;
  auto uid = string_at(j, "uid", where, true);
  SCHAKEL_TRY(uid);
  if (uid->empty() || uid->size() > 255 || uid->find_first_of(" \t\r\n") != std::string::npos) {
    return bad(where + "/uid", "must be 1-255 characters without white space");
  }
  e.uid = *uid;
  if (!j.contains("sequence") || !j.at("sequence").is_number_integer() || j.at("sequence").get<std::int64_t>() < 0) {
    return bad(where + "/sequence", "must be an integer >= 0");
  }
  e.sequence = j.at("sequence").get<std::int64_t>();
  auto stamp = string_at(j, "dtstamp", where, true);
  SCHAKEL_TRY(stamp);
  if (!parse_rfc3339(*stamp, e.dtstamp)) return bad(where + "/dtstamp", "must be an RFC 3339 instant");
  auto start = amsterdam_at(j, "start", where);
  SCHAKEL_TRY(start);
  auto end = amsterdam_at(j, "end", where);
  SCHAKEL_TRY(end);
  e.start = *start;
  e.end = *end;
  if (e.end <= e.start) return bad(where + "/end", "must be after start");
  auto summary = string_at(j, "summary", where, true);
  SCHAKEL_TRY(summary);
  if (summary->empty()) return bad(where + "/summary", "must not be empty");
  e.summary = *summary;
  auto location = string_at(j, "location", where, false);
  SCHAKEL_TRY(location);
  e.location = *location;
  auto description = string_at(j, "description", where, false);
  SCHAKEL_TRY(description);
  e.description = *description;
  auto status = string_at(j, "status", where, false);
  SCHAKEL_TRY(status);
  if (*status == "cancelled") {
    e.status = EventStatus::cancelled;
  } else if (!status->empty() && *status != "planned") {
    return bad(where + "/status", "must be planned or cancelled");
  }
  if (j.contains("organizer")) {
    auto o = attendee_from_json(j.at("organizer"), where + "/organizer", true);
    SCHAKEL_TRY(o);
    e.organizer = *o;
  }
  if (j.contains("attendees")) {
    const json& list = j.at("attendees");
    if (!list.is_array()) return bad(where + "/attendees", "must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto a = attendee_from_json(list[i], where + "/attendees/" + std::to_string(i), false);
      SCHAKEL_TRY(a);
      e.attendees.push_back(*a);
    }
  }
  return e;
}

json event_to_json(const Event& e) {
  json j = {{"uid", e.uid},
            {"sequence", e.sequence},
            {"dtstamp", format_utc(e.dtstamp)},
            {"start", format_amsterdam(e.start)},
            {"end", format_amsterdam(e.end)},
            {"summary", e.summary},
            {"status", e.status == EventStatus::cancelled ? "cancelled" : "planned"}};
  if (!e.location.empty()) j["location"] = e.location;
  if (!e.description.empty()) j["description"] = e.description;
  if (e.organizer) j["organizer"] = {{"email", e.organizer->email}, {"name", e.organizer->name}};
  json list = json::array();
  for (const auto& a : e.attendees) {
    list.push_back({{"email", a.email}, {"name", a.name}, {"partstat", partstat_name(a.partstat)}, {"optional", a.optional}});
  }
  j["attendees"] = std::move(list);
  return j;
}

}  // namespace schakel::ical
