#pragma once
// What the gate needs to know about a student: the birth date (age decides who grants) and the
// guardians with their gezag, read from the student and guardian documents.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "consent/types.hpp"

namespace schakel::consent {

enum class Gezag { yes, no, unknown };

struct GuardianLink {
  std::string guardian_id;
  Gezag gezag = Gezag::unknown;
  bool confirmed = false;  // gezag_confirmed is set: staff confirmed an unknown gezag
};

// A guardian's gezag counts when it is "yes", or "unknown" and confirmed by staff. `Link` is a
// GuardianLink, or anything else with its gezag and confirmed (the consent index keeps its own).
template <typename Link>
bool gezag_counts(const Link& g) {
  return g.gezag == Gezag::yes || (g.gezag == Gezag::unknown && g.confirmed);
}

struct StudentFacts {
  std::string id;
  std::string school_id;
  Date birth_date{};
  std::vector<GuardianLink> guardians;  // in the order they were linked
};

// {id, school_id, birth_date, ...}; errors name the field ("/birth_date: ...").
Result<StudentFacts> student_from_json(const nlohmann::json& doc);

// One guardian document's links to its children: {id, children: [{student_id, gezag,
// gezag_confirmed?}]}.
struct GuardianFacts {
  std::string id;
  std::vector<std::pair<std::string, GuardianLink>> children;  // (student_id, link)
};
Result<GuardianFacts> guardian_from_json(const nlohmann::json& doc);

// Why a guardian's grant does not count for this student, or "" when it does; `link` is the
// guardian's link to the student (as for gezag_counts), nullptr when the guardian has none.
template <typename Link>
std::string gezag_problem(const Link* link, std::string_view student_id, const std::string& guardian_id) {
  if (link == nullptr) return "guardian " + guardian_id + " is not a guardian of student " + std::string(student_id);
  if (link->gezag == Gezag::no) return "guardian " + guardian_id + " has no gezag";
  if (link->gezag == Gezag::unknown && !link->confirmed)
    return "the gezag of guardian " + guardian_id + " is unknown and not yet confirmed by staff";
  return "";
}

}  // namespace schakel::consent
