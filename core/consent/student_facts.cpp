#include "consent/student_facts.hpp"

namespace schakel::consent {
namespace {

using nlohmann::json;

Status bad(const std::string& where, const std::string& what) {
  return error(ErrorCode::invalid, where + ": " + what);
}

Result<StudentFacts> parse_student(const json& doc) {
  if (!doc.is_object()) return bad("", "a student must be a JSON object");
  StudentFacts s;
  auto id = doc.find("id");
  if (id == doc.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return bad("/id", "required, a non-empty string");
  s.id = id->get_ref<const std::string&>();
  if (auto school = doc.find("school_id"); school != doc.end() && school->is_string())
    s.school_id = school->get_ref<const std::string&>();
  auto birth = doc.find("birth_date");
  if (birth == doc.end()) return bad("/birth_date", "required (student " + s.id + ")");
  if (!birth->is_string()) return bad("/birth_date", "must be a string (student " + s.id + ")");
  const auto& text = birth->get_ref<const std::string&>();
  auto date = parse_date(text);
  if (!date) return bad("/birth_date", "not a date (YYYY-MM-DD): '" + text + "'");
  s.birth_date = *date;
  return s;
}

Result<GuardianFacts> parse_guardian(const json& doc) {
  if (!doc.is_object()) return bad("", "a guardian must be a JSON object");
  GuardianFacts g;
  auto id = doc.find("id");
  if (id == doc.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return bad("/id", "required, a non-empty string");
  g.id = id->get_ref<const std::string&>();
  auto children = doc.find("children");
  if (children == doc.end()) return g;
  if (!children->is_array()) return bad("/children", "must be an array (guardian " + g.id + ")");
  std::size_t i = 0;
  for (const auto& c : *children) {
    const auto where = [&i] { return "/children/" + std::to_string(i); };  // only when it is wrong
    if (!c.is_object()) return bad(where(), "must be an object");
    auto sid = c.find("student_id");
    if (sid == c.end() || !sid->is_string()) return bad(where() + "/student_id", "required, a string");
    GuardianLink link;
    link.guardian_id = g.id;
    auto gezag = c.find("gezag");
    static const std::string none;
    const std::string& value = gezag != c.end() && gezag->is_string() ? gezag->get_ref<const std::string&>() : none;
    if (value == "yes") link.gezag = Gezag::yes;
    else if (value == "no") link.gezag = Gezag::no;
    else if (value == "unknown") link.gezag = Gezag::unknown;
    else return bad(where() + "/gezag", "must be \"yes\", \"no\" or \"unknown\"");
    auto confirmed = c.find("gezag_confirmed");
    link.confirmed = confirmed != c.end() && confirmed->is_object() && !confirmed->empty();
    g.children.emplace_back(sid->get_ref<const std::string&>(), std::move(link));
    ++i;
  }
  return g;
}

}  // namespace

Result<StudentFacts> student_from_json(const json& doc) {
  try {
    return parse_student(doc);
  } catch (const std::exception& e) {
    return error(ErrorCode::invalid, std::string("student: ") + e.what());
  }
}

Result<GuardianFacts> guardian_from_json(const json& doc) {
  try {
    return parse_guardian(doc);
  } catch (const std::exception& e) {
    return error(ErrorCode::invalid, std::string("guardian: ") + e.what());
  }
}

}  // namespace schakel::consent
