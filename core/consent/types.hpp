#pragma once
// The consent document (DOMAIN.md, DESIGN section 4), the route recipient, and the decision the
// gate returns. Parsing never throws: a malformed document gives a Status naming the JSON pointer.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::consent {

using Date = std::chrono::year_month_day;

// "YYYY-MM-DD" <-> Date; parse_date returns nullopt on anything else (also 2026-02-30).
std::optional<Date> parse_date(const std::string& text);
std::string format_date(Date d);
// Whole years between `birth` and `on` by calendar date (a 29 February birthday counts on 1 March).
int age_on(Date birth, Date on);

// The closed lists, in a fixed order so that a category or purpose is also a bit in a mask.
const std::vector<std::string>& purposes();
int purpose_index(const std::string& purpose);    // -1 when unknown
int category_index(const std::string& category);  // -1 when unknown (order of schema::known_categories)
const std::vector<std::string>& roles();
bool is_known_role(const std::string& role);
// The roles inside education; an ECK iD goes to no one else. Care, youth and wijkteam roles,
// parents and the student are outside education.
bool is_education_role(const std::string& role);

enum class GrantorKind { guardian, student };

struct Grantor {
  GrantorKind kind = GrantorKind::guardian;
  std::string guardian_id;  // set when kind == guardian
  bool operator==(const Grantor&) const = default;
};

// A recipient as a consent names it: an organisation, a role, or both.
struct ConsentRecipient {
  std::string organisation;
  std::string role;
};

// A recipient as a route names it: the person individually. `person_id` is the hub id of the
// guardian (role parent) or student (role student) when the recipient is one; rule own_child
// uses it.
struct Recipient {
  std::string organisation;
  std::string role;
  std::string name;
  std::string person_id;
};

struct Withdrawal {
  TimePoint at{};
  Grantor by;
  std::string reason;
};

struct Evidence {
  std::string form_version;
  std::string recorded_by;
  TimePoint recorded_at{};
  nlohmann::json document;  // null when absent
};

struct ConsentRecord {
  std::string id;
  std::string student_id;
  std::string school_id;
  std::vector<Grantor> grantors;
  std::vector<ConsentRecipient> recipients;
  std::vector<std::string> purposes;
  std::vector<std::string> categories;
  Date valid_from{};
  std::optional<Date> valid_until;
  bool withdrawn = false;  // status "withdrawn"
  std::optional<Withdrawal> withdrawal;
  std::string legal_basis = "consent";
  Evidence evidence;
};

// Parses and checks the shape; errors read "/grantors/1/guardian_id: required for kind guardian".
Result<ConsentRecord> consent_from_json(const nlohmann::json& doc);
nlohmann::json to_json(const ConsentRecord& consent);
Result<Grantor> grantor_from_json(const nlohmann::json& doc, const std::string& where);
nlohmann::json to_json(const Grantor& grantor);
Result<Recipient> recipient_from_json(const nlohmann::json& doc);
nlohmann::json to_json(const Recipient& recipient);
// "guardian g1" or "the student": how a reason names a grantor.
std::string describe(const Grantor& grantor);

// The answer for one category.
struct CategoryDecision {
  std::string category;
  bool permitted = false;
  std::vector<std::string> consent_ids;  // the consents that permit it
  std::string reason;                    // why: a sentence a parent can read
};

struct Decision {
  std::vector<CategoryDecision> categories;

  [[nodiscard]] const CategoryDecision* find(const std::string& category) const;
  // False for a category the decision does not mention: default deny.
  [[nodiscard]] bool permitted(const std::string& category) const;
  [[nodiscard]] bool all_permitted() const;
  // The union of the permitting consent ids, sorted.
  [[nodiscard]] std::vector<std::string> consent_ids() const;
};

nlohmann::json to_json(const Decision& decision);

}  // namespace schakel::consent
