#pragma once
// Documents for the consent tests, in the shapes of DOMAIN.md.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"

namespace schakel::test {

using nlohmann::json;

inline TimePoint at_utc(const std::string& rfc3339) {
  TimePoint t{};
  if (!parse_rfc3339(rfc3339, t)) throw std::runtime_error("bad test time " + rfc3339);
  return t;
}

inline json student_doc(const std::string& id, const std::string& birth_date) {
  return {{"id", id}, {"school_id", "school-1"}, {"birth_date", birth_date}, {"status", "active"}};
}

struct Child {
  std::string student_id;
  std::string gezag = "yes";
  bool confirmed = false;
};

inline json guardian_doc(const std::string& id, const std::vector<Child>& children) {
  json j = {{"id", id}, {"naam", {{"achternaam", "Jansen"}}}, {"children", json::array()}};
  for (const auto& c : children) {
    json link = {{"student_id", c.student_id}, {"relation", "parent"}, {"gezag", c.gezag}};
    if (c.confirmed) link["gezag_confirmed"] = {{"by", "staff-1"}, {"at", "2026-01-05T08:00:00Z"}};
    j["children"].push_back(link);
  }
  return j;
}

inline json grantor(const std::string& guardian_id) {
  return guardian_id == "student" ? json{{"kind", "student"}} : json{{"kind", "guardian"}, {"guardian_id", guardian_id}};
}

struct ConsentSpec {
  std::string id{};
  std::string student_id{};
  std::vector<std::string> grantors{};  // guardian ids, or "student"
  std::vector<std::string> categories{};
  std::vector<std::string> purposes = {"ot_meeting"};
  std::string role = "youth_nurse";
  std::string organisation{};
  std::string valid_from = "2025-01-01";
  std::string valid_until{};
};

inline json consent_doc(const ConsentSpec& s) {
  json j = {{"id", s.id},
            {"student_id", s.student_id},
            {"school_id", "school-1"},
            {"grantors", json::array()},
            {"recipients", json::array()},
            {"purposes", s.purposes},
            {"categories", s.categories},
            {"valid_from", s.valid_from},
            {"legal_basis", "consent"},
            {"evidence", {{"form_version", "2026-1"}, {"recorded_by", "staff-1"},
                          {"recorded_at", "2026-01-05T08:00:00Z"}}}};
  for (const auto& g : s.grantors) j["grantors"].push_back(grantor(g));
  json r = json::object();
  if (!s.role.empty()) r["role"] = s.role;
  if (!s.organisation.empty()) r["organisation"] = s.organisation;
  j["recipients"].push_back(r);
  if (!s.valid_until.empty()) j["valid_until"] = s.valid_until;
  return j;
}

}  // namespace schakel::test
