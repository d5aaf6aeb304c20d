#include "authorization_matrix.hpp"

#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace schakel::test {
namespace {

std::string cell_name(const MatrixRow& row, const std::string& who) { return row.method + " " + row.pattern + " " + who; }

bool has_bearer_challenge(const api::ApiResponse& res) {
  for (const auto& [k, v] : res.headers) {
    if (k == "WWW-Authenticate" && v.rfind("Bearer", 0) == 0) return true;
  }
  return false;
}

}  // namespace

void check_authorization_matrix(const std::vector<MatrixRow>& rows, const MatrixTokens& token_for) {
  int n = 0;
  for (const auto& row : rows) {
    const bool is_public = row.allowed.empty();
    {
      const auto res = row.call(MatrixCell{api::Role::staff, Side::own, "", ++n});
      const std::string where = cell_name(row, "without a token") + ": " + res.body;
      if (is_public) {
        EXPECT_GE(res.status, 200) << where;
        EXPECT_LT(res.status, 300) << where;
      } else {
        EXPECT_EQ(res.status, 401) << where;
        EXPECT_TRUE(has_bearer_challenge(res)) << where;
      }
    }
    for (const api::Role role : api::all_roles()) {
      for (const Side side : {Side::own, Side::other}) {
        const auto res = row.call(MatrixCell{role, side, token_for(role, side), ++n});
        const bool role_ok = is_public || row.allowed.count(role) > 0;
        const bool allow = role_ok && (!row.school_scoped || side == Side::own);
        const std::string where = cell_name(row, std::string("as ") + api::role_name(role) +
                                                     (side == Side::own ? " (own school)" : " (other school)")) +
                                  ": " + res.body;
        if (allow) {
          EXPECT_GE(res.status, 200) << where;
          EXPECT_LT(res.status, 300) << where;
        } else {
          EXPECT_EQ(res.status, 403) << where;
          EXPECT_EQ(nlohmann::json::parse(res.body, nullptr, false).value("error", ""), "forbidden") << where;
        }
      }
    }
  }
}

void check_matrix_covers_routes(const std::vector<api::Route>& routes, const std::vector<MatrixRow>& rows,
                                const std::function<bool(const api::Route&)>& in_table) {
  std::set<std::pair<std::string, std::string>> served, covered;
  for (const auto& r : routes) {
    if (in_table(r)) served.insert({r.method, r.pattern});
  }
  for (const auto& row : rows) covered.insert({row.method, row.pattern});
  EXPECT_EQ(served, covered) << "every served route needs a row in the matrix, and every row a route";
  for (const auto& row : rows) {
    const api::Route* route = nullptr;
    for (const auto& r : routes) {
      if (r.method == row.method && r.pattern == row.pattern) route = &r;
    }
    if (route == nullptr) continue;  // reported above
    EXPECT_EQ(std::set<api::Role>(route->roles.begin(), route->roles.end()), row.allowed)
        << row.method << " " << row.pattern;
  }
}

}  // namespace schakel::test
