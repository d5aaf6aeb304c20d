#pragma once
// Routes: one registration per endpoint (method, path pattern, roles, school scoping, handler).
// Path patterns are literal segments and "{name}" parameters; parameter values are ids and must
// match [A-Za-z0-9._-]{1,128} (not "." or "..").
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http_types.hpp"
#include "api/roles.hpp"
#include "base/clock.hpp"

namespace schakel::api {

enum class SchoolScope {
  none,      // the endpoint touches no school's data (health, metrics, config)
  resource,  // the handler must call RequestContext::may_see(tenant) for what it touches
};

class RequestContext {
 public:
  RequestContext(const ApiRequest& request, const Principal* principal,
                 std::map<std::string, std::string> params, TimePoint now, std::string trace_id)
      : request_(request), principal_(principal), params_(std::move(params)), now_(now),
        trace_id_(std::move(trace_id)) {}

  [[nodiscard]] const ApiRequest& request() const { return request_; }
  // Null only on public routes (those with no roles).
  [[nodiscard]] const Principal* principal() const { return principal_; }
  [[nodiscard]] const std::string& param(const std::string& name) const;
  [[nodiscard]] TimePoint now() const { return now_; }
  [[nodiscard]] const std::string& trace_id() const { return trace_id_; }

  // Whether the token sees `tenant`; records that the handler checked a school.
  bool may_see(const std::string& tenant);
  // Whether the token sees every one of `brins`; records the check like may_see.
  bool may_see_all(const std::vector<std::string>& brins);
  [[nodiscard]] bool school_checked() const { return school_checked_; }

 private:
  const ApiRequest& request_;
  const Principal* principal_;
  std::map<std::string, std::string> params_;
  TimePoint now_;
  std::string trace_id_;
  bool school_checked_ = false;
};

using Handler = std::function<ApiResponse(RequestContext&)>;

struct Route {
  std::string method;   // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern;  // e.g. "/v1/students/{id}"
  std::vector<Role> roles;  // empty: public, no token needed (health only, so far)
  SchoolScope scope = SchoolScope::none;
  Handler handler;
  std::string summary;  // one line, for logs and the OpenAPI agreement test
  // The handler never waits: no store write, no plugin call, no audit entry; at most a short
  // store read. It then runs on the connection's thread instead of the blocking pool. GET routes
  // with roles and SchoolScope::none are treated as quick (ApiService::runs_inline), so such a
  // route must not write either; a route that does belongs to a school or is not a GET.
  bool quick = false;
};

// The outcome of matching a path.
struct RouteMatch {
  const Route* route = nullptr;                 // set when method and path match
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed_methods;     // path matched, method did not
  std::optional<Problem> bad_param;             // a parameter is not a valid id
};

class Router {
 public:
  // A duplicate (method, pattern) or a malformed pattern is a programmer error (std::logic_error).
  void add(Route route);
  [[nodiscard]] RouteMatch match(const std::string& method, const std::string& path) const;
  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  // Each route's pattern split once at add(), so matching a request splits only its path.
  std::vector<std::vector<std::string>> patterns_;
};

bool is_valid_id(const std::string& id);
// Splits a path into percent-decoded segments. Fails (with a Problem) on malformed escapes,
// "." or ".." segments, encoded slashes, and control characters.
std::optional<Problem> split_path(const std::string& path, std::vector<std::string>& segments);

}  // namespace schakel::api
