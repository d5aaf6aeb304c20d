#pragma once
// One authorisation matrix for every API test: a table of endpoints (method, pattern, allowed
// roles, school-scoped or not, how to call it) checked cell by cell, every role × own/other
// school plus once without a token. A cell is allowed when the role is in the row and, for a
// school-scoped row, the data and the token are of the same school; an allowed cell answers 2xx,
// a denied one 403 "forbidden", and no token 401 with a Bearer challenge (a public row answers
// 2xx to everyone). A failure names its cell: "POST /v1/cases as staff (other school): <body>".
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "api/http_types.hpp"
#include "api/roles.hpp"
#include "api/router.hpp"

namespace schakel::test {

enum class Side { own, other };

// One cell: the role and side it checks, the bearer token (empty: none), and a number unique in
// the run, for ids a row must not repeat.
struct MatrixCell {
  api::Role role;
  Side side;
  std::string token;
  int n;
  [[nodiscard]] bool own() const { return side == Side::own; }
};

struct MatrixRow {
  std::string method;
  std::string pattern;
  std::set<api::Role> allowed;  // empty: a public route (no token needed, every role allowed)
  bool school_scoped;
  std::function<api::ApiResponse(const MatrixCell&)> call;
};

// Who holds the cell's token: (role, side) → secret. Most tables give every token to our school
// and let `side` say where the data lives; a table may instead vary the token's school.
using MatrixTokens = std::function<std::string(api::Role, Side)>;

// Checks every cell of every row; failures are reported per cell, and the run goes on.
void check_authorization_matrix(const std::vector<MatrixRow>& rows, const MatrixTokens& token_for);

// The routes the service serves (those `in_table` selects) and the rows are the same set, and
// each row's roles are the route's: the table states the policy independently of the code.
void check_matrix_covers_routes(const std::vector<api::Route>& routes, const std::vector<MatrixRow>& rows,
                                const std::function<bool(const api::Route&)>& in_table);

}  // namespace schakel::test
