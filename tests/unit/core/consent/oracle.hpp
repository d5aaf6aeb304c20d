#pragma once
// An independent, deliberately simple statement of the consent rules for the property test. It
// shares nothing with core/consent but nlohmann::json: it reads the raw documents, compares dates
// as "YYYY-MM-DD" strings, counts birthdays one year at a time, and finds a value's category by
// trying every pattern. Slow and obvious on purpose.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oracle {

using nlohmann::json;

// Everything known at one moment: the student, the guardian documents, the current consent
// documents (a withdrawn consent as its withdrawn document).
struct World {
  json student;
  std::map<std::string, json> guardians;
  std::vector<json> consents;
};

// The calendar date in Europe/Amsterdam of a Unix time, "YYYY-MM-DD".
std::string amsterdam_day(long long unix_seconds);
// Completed years from `birth` to `today` (both "YYYY-MM-DD").
int age(const std::string& birth, const std::string& today);

// Whether a guardian's consent (or an attempt to grant one) is backed by gezag for this student.
bool gezag_counts(const World& w, const std::string& guardian_id);
bool is_guardian_of_student(const World& w, const std::string& guardian_id);
std::string gezag_of(const World& w, const std::string& guardian_id);  // "" when not a guardian

// May `category` about the student go to `recipient` ({organisation, role, name, person_id}) for
// `purpose` at `unix_seconds`, under a route naming `legal_basis` ("" for none)?
bool permitted(const World& w, const json& recipient, const std::string& purpose, const std::string& category,
               long long unix_seconds, const std::string& legal_basis);

// A value at the end of a path: a scalar, or an empty object or array.
struct Leaf {
  std::vector<std::string> path;  // array indices as decimal strings
  std::string shape;              // the path with array indices as "*"
  json value;
  std::string category;  // "" when none
};

// `patterns` maps a JSON pointer pattern ("*" = any token) to its category.
std::vector<Leaf> leaves(const json& doc, const std::vector<std::pair<std::string, std::string>>& patterns);

}  // namespace oracle
