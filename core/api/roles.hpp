#pragma once
// Who a bearer token speaks for: one role and the schools (BRIN codes) it may see.
#include <optional>
#include <string>
#include <vector>

namespace schakel::api {

// The closed list of API roles (DESIGN section 9).
enum class Role {
  admin,            // connectors, config, tokens
  staff,            // students, cases, consents, referrals, meetings of their own schools
  privacy_officer,  // audit search, export, verify, art. 15 reports, consent records; no case content
  operator_,        // health, metrics, connector status, dead letters
};

const char* role_name(Role role);  // "admin", "staff", "privacy_officer", "operator"
std::optional<Role> role_from_name(const std::string& name);
const std::vector<Role>& all_roles();

struct Principal {
  std::string token_id;
  Role role = Role::staff;
  std::vector<std::string> schools;  // BRIN codes

  // True when `tenant` (BRIN + vestiging, e.g. "27XK01", or a bare BRIN) is one of the schools.
  [[nodiscard]] bool sees_school(const std::string& tenant) const;
  [[nodiscard]] bool sees_all_of(const std::vector<std::string>& brins) const;
};

// "^[0-9]{2}[A-Z]{2}$"
bool is_brin(const std::string& text);

}  // namespace schakel::api
