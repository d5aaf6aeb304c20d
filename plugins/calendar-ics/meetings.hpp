#pragma once
// From feed occurrences to meeting records (schemas/meeting.schema.json): which events are OT
// meetings (the configured rules), and the record each instance becomes.
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "feed.hpp"

namespace schakel::calendar_ics {

struct MatchRule {
  std::vector<std::string> categories;  // any one of them, case-insensitive
  std::optional<std::regex> summary;    // searched in SUMMARY, case-insensitive
  std::string kind = "ot";
  std::string title;  // the meeting's title; SUMMARY may name a child, so it is not used by default
  std::string theme;  // for kind theme
};

struct ImportRules {
  std::string connector_id;  // optional (older configurations): then it scopes the ids and names the owner
  std::string school_id;
  std::vector<MatchRule> rules;
  bool keep_summary = false;  // use SUMMARY as the title (only for feeds that never name a child)
};

// From the connector settings (already valid against the config schema). Throws
// std::invalid_argument naming the setting when a summary pattern is not a valid regex.
ImportRules import_rules_from(const nlohmann::json& settings);

// The first rule the event matches, or nullptr.
const MatchRule* match_rule(const ImportRules& rules, const EventFacts& facts);

// "2026-11-05T13:00:00+01:00"
std::string amsterdam_time(TimePoint t);

// The meeting record for one occurrence; stable id and ical_uid from UID + RECURRENCE-ID.
nlohmann::ordered_json meeting_of(const Occurrence& o, const MatchRule& rule, const ImportRules& rules);

std::string meeting_id(const std::string& scope, const std::string& uid, const std::string& recurrence_id);
// What the ids are unique within: the configured connector_id, else the school.
std::string id_scope(const ImportRules& rules);

}  // namespace schakel::calendar_ics
