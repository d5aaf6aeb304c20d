#pragma once
// The minimised view of a meeting as one recipient may see it: what goes into one VEVENT. It is
// built from the consent-gated projection; nothing here decides what a recipient may see.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::ical {

// RFC 5545 PARTSTAT values for a VEVENT; JSON uses the lower-case snake_case names.
enum class PartStat { needs_action, accepted, declined, tentative, delegated };
const char* partstat_ical(PartStat p);     // "NEEDS-ACTION"
const char* partstat_name(PartStat p);     // "needs_action"
std::optional<PartStat> partstat_from_ical(const std::string& value);  // case-insensitive

enum class EventStatus { planned, cancelled };  // STATUS:CONFIRMED / STATUS:CANCELLED

struct Attendee {
  std::string email;  // written as mailto:<email>
  std::string name;   // CN; may be empty
  PartStat partstat = PartStat::needs_action;
  bool optional = false;  // ROLE=OPT-PARTICIPANT (e.g. joins for one slot only)
  bool operator==(const Attendee&) const = default;
};

struct Event {
  std::string uid;        // stable for the meeting's life
  std::int64_t sequence = 0;
  TimePoint dtstamp{};    // when this version was made (written in UTC)
  TimePoint start{};      // written as local Europe/Amsterdam time with TZID
  TimePoint end{};
  std::string summary;
  std::string location;     // may be empty
  std::string description;  // may be empty
  EventStatus status = EventStatus::planned;
  std::optional<Attendee> organizer;
  std::vector<Attendee> attendees;
  bool operator==(const Event&) const = default;
};

// From the JSON view:
//   {"uid", "sequence", "dtstamp" (RFC 3339), "start", "end" (Europe/Amsterdam with its offset,
//    schemas/common.schema.json#/definitions/amsterdam_date_time), "summary", "location"?,
//    "description"?, "status"? ("planned"|"cancelled"), "organizer"? {email, name?},
//    "attendees"? [{email, name?, partstat?, optional?}]}
// Errors name the JSON pointer (prefixed with `where`) and what is wrong.
Result<Event> event_from_json(const nlohmann::json& j, const std::string& where = "");
nlohmann::json event_to_json(const Event& e);

// "2026-11-24T09:30:00+01:00": the instant in Europe/Amsterdam local time with its offset.
std::string format_amsterdam(TimePoint t);

}  // namespace schakel::ical
