#include "api/roles.hpp"

#include <algorithm>

namespace schakel::api {

const char* role_name(Role role) {
  switch (role) {
    case Role::admin: return "admin";
    case Role::staff: return "staff";
    case Role::privacy_officer: return "privacy_officer";
    case Role::operator_: return "operator";
  }
  return "unknown";
}

std::optional<Role> role_from_name(const std::string& name) {
  for (Role r : all_roles()) {
    if (name == role_name(r)) return r;
  }
  return std::nullopt;
}

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = {Role::admin, Role::staff, Role::privacy_officer,
                                          Role::operator_};
  return roles;
}

bool is_brin(const std::string& t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  return t.size() == 4 && digit(t[0]) && digit(t[1]) && upper(t[2]) && upper(t[3]);
}

bool Principal::sees_school(const std::string& tenant) const {
  // A tenant is BRIN + vestiging; a token names BRINs and so sees every vestiging of them.
  if (tenant.size() < 4) return false;
  const std::string brin = tenant.substr(0, 4);
  if (!is_brin(brin)) return false;
  return std::find(schools.begin(), schools.end(), brin) != schools.end();
}

bool Principal::sees_all_of(const std::vector<std::string>& brins) const {
  return std::all_of(brins.begin(), brins.end(), [&](const std::string& b) { return sees_school(b); });
}

}  // namespace schakel::api
