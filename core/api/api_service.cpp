#include "api/api_service.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <utility>

#include <boost/beast/core/string.hpp>

#include "api/token.hpp"
#include "log/log.hpp"

namespace schakel::api {
namespace {

ApiResponse unauthorized(const std::string& message, bool invalid_token) {
  ApiResponse r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", invalid_token ? R"(Bearer realm="schakel", error="invalid_token")"
                                                           : R"(Bearer realm="schakel")");
  return r;
}

// The bearer secret from "Authorization: Bearer <secret>" (scheme case-insensitive), or "".
// A view into the request's header: no copies on the path every authenticated request takes.
std::string_view bearer_secret(const ApiRequest& request) {
  const auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return {};
  std::string_view h = it->second;
  if (h.size() < 7 || !boost::beast::iequals(h.substr(0, 7), "bearer ")) return {};
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  return h;
}

// 64 bits that tell requests apart in the logs; not a secret, so a per-thread generator seeded
// once from OpenSSL serves (a DRBG call per request showed up in the profile of cheap routes).
std::string new_trace_id() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    if (auto id = generate_token_id()) seed = std::stoull(id->substr(4), nullptr, 16);
    return seed ^ static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  // splitmix64
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) out[static_cast<std::size_t>(i)] = k_hex[z & 0xF];
  return out;
}

}  // namespace

ApiResponse forbidden(const std::string& message) { return error_response(403, "forbidden", message); }
ApiResponse not_found(const std::string& message) { return error_response(404, "not_found", message); }
ApiResponse store_failure(const Status& status) {
  // The store's message names files; it goes to the log, not to the client.
  log::error("api: store failure", {{"error", status.message()}});
  const bool transient = status.code() == ErrorCode::busy || status.code() == ErrorCode::unavailable;
  return error_response(transient ? 503 : 500, transient ? "unavailable" : "internal",
                        transient ? "the store is busy; try again" : "the request could not be completed");
}

std::optional<ApiResponse> parse_json_object(const ApiRequest& request, nlohmann::json& out) {
  out = nlohmann::json::parse(request.body, nullptr, false);
  if (out.is_discarded()) {
    return error_response(400, "malformed_json", "the request body is not valid JSON", {{"", "not valid JSON"}});
  }
  if (!out.is_object()) {
    return error_response(400, "malformed_json", "the request body must be a JSON object",
                          {{"", "must be an object"}});
  }
  return std::nullopt;
}

ApiService::ApiService(store::Store& store, const schema::SchemaSet& schemas, const Clock& clock)
    : store_(store), schemas_(schemas), clock_(clock), tokens_(store, clock) {}

void ApiService::add_route(Route route) {
  const std::string label = route.pattern;
  router_.add(std::move(route));
  auto stats = std::make_unique<RouteStats>();
  stats->duration =
      &metrics_.histogram("schakel_api_request_duration_seconds", "API request handling time", {{"route", label}});
  stats_.push_back(std::move(stats));
}

Counter& ApiService::requests_counter(const std::string& method, const Route* route, int status) {
  auto lookup = [&]() -> Counter& {
    return metrics_.counter(
        "schakel_api_requests_total", "API requests by route and status",
        {{"method", method}, {"route", route ? route->pattern : "unmatched"}, {"status", std::to_string(status)}});
  };
  if (!route) return lookup();
  RouteStats& st = *stats_[static_cast<std::size_t>(route - router_.routes().data())];
  for (std::size_t i = 0; i < RouteStats::k_slots; ++i) {
    const int s = st.status[i].load(std::memory_order_acquire);
    if (s == status) return *st.requests[i].load(std::memory_order_relaxed);
    if (s == 0) break;
  }
  std::lock_guard lock(stats_mu_);
  for (std::size_t i = 0; i < RouteStats::k_slots; ++i) {
    const int s = st.status[i].load(std::memory_order_relaxed);
    if (s == status) return *st.requests[i].load(std::memory_order_relaxed);
    if (s != 0) continue;
    Counter& c = lookup();
    st.requests[i].store(&c, std::memory_order_relaxed);
    st.status[i].store(status, std::memory_order_release);  // publishes the counter
    return c;
  }
  return lookup();  // more statuses than slots: the registry's own lookup
}

Status ApiService::audit_read(const RequestContext& ctx, ReadAccess access) const {
  if (!read_audit_) return Status::ok();
  if (const Principal* p = ctx.principal()) {
    access.actor = p->token_id;
    access.actor_role = role_name(p->role);
  }
  access.trace_id = ctx.trace_id();
  access.at = ctx.now();
  return read_audit_(access);
}

ApiResponse ApiService::handle(const ApiRequest& request) {
  ApiResponse response = handle(request, match(request));
  if (!response.durable) return response;
  std::promise<Status> made;
  auto outcome = made.get_future();
  std::exchange(response.durable, nullptr)([&made](Status st) { made.set_value(std::move(st)); });
  return settle(std::move(response), outcome.get());
}

ApiResponse ApiService::settle(ApiResponse response, const Status& durable) {
  response.durable = nullptr;
  if (durable) return response;
  ApiResponse failed = store_failure(durable);
  for (auto& [name, value] : response.headers) {
    if (name == "X-Trace-Id") failed.headers.emplace_back(name, value);
  }
  return failed;
}

RouteMatch ApiService::match(const ApiRequest& request) const {
  const auto q = request.target.find('?');
  return router_.match(request.method, q == std::string::npos ? request.target : request.target.substr(0, q));
}

ApiResponse ApiService::handle(const ApiRequest& request, RouteMatch match) {
  const auto started = std::chrono::steady_clock::now();
  const std::string path = request.target.substr(0, request.target.find('?'));
  const Route* route = match.route;
  ApiResponse response = dispatch(request, path, std::move(match));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  requests_counter(request.method, route, response.status).inc();
  if (route) {
    stats_[static_cast<std::size_t>(route - router_.routes().data())]->duration->observe(seconds);
  } else {
    metrics_.histogram("schakel_api_request_duration_seconds", "API request handling time", {{"route", "unmatched"}})
        .observe(seconds);
  }
  return response;
}

bool ApiService::runs_inline(const RouteMatch& match) {
  if (!match.route) return false;
  const Route& r = *match.route;
  // A token-protected GET that touches no school shows operational state: it is not audited and
  // writes nothing, so it never waits for a commit.
  return r.quick || (r.method == "GET" && !r.roles.empty() && r.scope == SchoolScope::none);
}

ApiResponse ApiService::dispatch(const ApiRequest& request, const std::string& path, RouteMatch match) {
  if (match.route && match.route->roles.empty()) {
    if (match.bad_param) return error_response(400, "bad_request", match.bad_param->message, {*match.bad_param});
    return run(*match.route, request, nullptr, std::move(match.params));
  }

  // Everything else needs a token, checked before anything about the path is revealed.
  const std::string_view secret = bearer_secret(request);
  if (secret.empty()) return unauthorized("a bearer token is required", false);
  auto principal = tokens_.authenticate(secret);
  if (!principal) {
    if (principal.status().code() == ErrorCode::denied) return unauthorized(principal.status().message(), true);
    return store_failure(principal.status());
  }

  if (!match.route) {
    if (match.bad_param) return error_response(400, "bad_request", match.bad_param->message, {*match.bad_param});
    if (!match.allowed_methods.empty()) {
      ApiResponse r = error_response(405, "method_not_allowed", request.method + " is not allowed on " + path);
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    return not_found("no endpoint " + path);
  }
  const Route& route = *match.route;
  if (std::find(route.roles.begin(), route.roles.end(), principal->role) == route.roles.end()) {
    return forbidden(std::string("role ") + role_name(principal->role) + " may not " + route.method + " " +
                     route.pattern);
  }
  if (match.bad_param) return error_response(400, "bad_request", match.bad_param->message, {*match.bad_param});
  return run(route, request, &*principal, std::move(match.params));
}

ApiResponse ApiService::run(const Route& route, const ApiRequest& request, const Principal* principal,
                            std::map<std::string, std::string> params) {
  RequestContext ctx(request, principal, std::move(params), clock_.now(), new_trace_id());
  ApiResponse response;
  try {
    response = route.handler(ctx);
  } catch (const std::exception& e) {
    log::error("api: handler failed", {{"route", route.pattern}, {"error", e.what()}});
    return error_response(500, "internal", "the request could not be completed");
  }
  // A school-scoped endpoint that answered without looking at a school is a bug; fail closed.
  if (route.scope == SchoolScope::resource && !ctx.school_checked() && response.status < 300) {
    log::error("api: school-scoped route answered without a school check", {{"route", route.pattern}});
    return error_response(500, "internal", "the request could not be completed");
  }
  response.headers.emplace_back("X-Trace-Id", ctx.trace_id());
  return response;
}

}  // namespace schakel::api
