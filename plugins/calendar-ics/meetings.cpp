#include "meetings.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace schakel::calendar_ics {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string sha256_hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += k_hex[md[i] >> 4U];
    out += k_hex[md[i] & 15U];
  }
  return out;
}

// At most `max` code points, never cutting inside a UTF-8 sequence.
std::string clip_utf8(const std::string& s, std::size_t max) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0U) != 0x80U && ++points > max) return s.substr(0, i);
  }
  return s;
}

std::string default_title(const std::string& kind) {
  if (kind == "vot") return "VOT-overleg";
  if (kind == "collegial_consult") return "Collegiale consultatie";
  if (kind == "theme") return "Themabespreking";
  return "OT-overleg";
}

}  // namespace

ImportRules import_rules_from(const nlohmann::json& s) {
  ImportRules r;
  r.connector_id = s.value("connector_id", "");
  r.school_id = s.at("school_id").get<std::string>();
  r.keep_summary = s.value("keep_summary", false);
  const auto& match = s.at("match");
  for (std::size_t i = 0; i < match.size(); ++i) {
    const auto& m = match[i];
    MatchRule rule;
    for (const auto& c : m.value("categories", nlohmann::json::array())) rule.categories.push_back(lower(c.get<std::string>()));
    if (m.contains("summary")) {
      try {
        rule.summary.emplace(m["summary"].get<std::string>(), std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        throw std::invalid_argument("settings/match/" + std::to_string(i) + "/summary: not a valid regular expression: " +
                                    e.what());
      }
    }
    rule.kind = m.value("kind", "ot");
    rule.title = m.value("title", default_title(rule.kind));
    rule.theme = m.value("theme", rule.title);
    r.rules.push_back(std::move(rule));
  }
  return r;
}

const MatchRule* match_rule(const ImportRules& rules, const EventFacts& facts) {
  for (const auto& rule : rules.rules) {
    for (const auto& c : facts.categories)
      if (std::find(rule.categories.begin(), rule.categories.end(), lower(c)) != rule.categories.end()) return &rule;
    if (rule.summary && std::regex_search(facts.summary, *rule.summary)) return &rule;
  }
  return nullptr;
}

std::string amsterdam_time(TimePoint t) {
  using namespace std::chrono;
  const auto offset = amsterdam_utc_offset(t);
  const auto local = floor<seconds>(t) + offset;
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{local - day};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld+%02ld:00", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), static_cast<long>(duration_cast<hours>(offset).count()));
  return buf;
}

std::string meeting_id(const std::string& scope, const std::string& uid, const std::string& recurrence_id) {
  return "ics." + sha256_hex(scope + "\n" + uid + "\n" + recurrence_id).substr(0, 32);
}

std::string id_scope(const ImportRules& rules) {
  // A configured connector_id keeps the ids it always gave; without it the school scopes them (two
  // feeds of one school holding the same event are one meeting, and the importer lets only the
  // first feed own it).
  return rules.connector_id.empty() ? "school " + rules.school_id : rules.connector_id;
}

nlohmann::ordered_json meeting_of(const Occurrence& o, const MatchRule& rule, const ImportRules& rules) {
  nlohmann::ordered_json m;
  m["id"] = meeting_id(id_scope(rules), o.uid, o.recurrence_id);
  m["school_id"] = rules.school_id;
  m["kind"] = rule.kind;
  const std::string title = rules.keep_summary && !o.facts.summary.empty() ? o.facts.summary : rule.title;
  m["title"] = clip_utf8(title, 200);
  if (rule.kind == "theme") m["theme"] = clip_utf8(rules.keep_summary ? title : rule.theme, 200);
  m["start"] = amsterdam_time(o.start);
  m["end"] = amsterdam_time(o.end);
  m["time_zone"] = "Europe/Amsterdam";
  if (!o.location.empty()) m["location"] = clip_utf8(o.location, 500);
  // The importer names the connector that emitted the record as the owner.
  m["owner"] = {{"kind", "connector"}};
  if (!rules.connector_id.empty()) m["owner"]["connector_id"] = rules.connector_id;
  // The instance's own UID for calendars: UID alone for a single event, UID and instance otherwise;
  // hashed when the feed's UID would not fit the schema (whitespace, length).
  std::string uid = o.recurrence_id.empty() ? o.uid : o.uid + "-" + o.recurrence_id;
  if (uid.size() > 255 || std::any_of(uid.begin(), uid.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    uid = "ics-" + sha256_hex(o.uid + "\n" + o.recurrence_id) + "@" +
          (rules.connector_id.empty() ? rules.school_id : rules.connector_id);
  m["ical_uid"] = uid;
  m["sequence"] = o.sequence;
  m["status"] = o.cancelled ? "cancelled" : "planned";
  return m;
}

}  // namespace schakel::calendar_ics
