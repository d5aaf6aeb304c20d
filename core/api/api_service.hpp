#pragma once
// The API without its transport: routing, bearer authentication, role and school checks, and the
// JSON error shape. ApiServer feeds it requests from the network; tests may call handle()
// directly. Thread-safe once routes are registered (register before serving).
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http_types.hpp"
#include "api/metrics.hpp"
#include "api/router.hpp"
#include "api/token_store.hpp"
#include "base/clock.hpp"
#include "schema/schema_set.hpp"
#include "store/store.hpp"

namespace schakel::api {

// One read of a student's data through the API (NEN 7513), handed to the audit hook.
struct ReadAccess {
  std::string actor;       // the token id
  std::string actor_role;  // the token's role
  std::string tenant;      // the school the data belongs to
  std::string kind;        // "student", ...
  std::string entity_id;
  std::string student_id;
  std::string outcome;     // "permitted" or "denied"
  std::string trace_id;
  TimePoint at{};
};
// Returns an error to refuse the read: data is not shown when its reading cannot be logged.
using ReadAuditHook = std::function<Status(const ReadAccess&)>;
// Told of each student recorded through the API, after the commit (the daemon's consent index
// takes it in). An error is reported to the caller; the student stays recorded.
using StudentRecordedHook = std::function<Status(const nlohmann::json& student_doc)>;

class ApiService {
 public:
  ApiService(store::Store& store, const schema::SchemaSet& schemas, const Clock& clock);

  // One endpoint. Duplicates are a programmer error (std::logic_error).
  void add_route(Route route);
  [[nodiscard]] const std::vector<Route>& routes() const { return router_.routes(); }

  // The complete answer: waits for what the handler made durable (ApiResponse::durable).
  ApiResponse handle(const ApiRequest& request);
  // The route of a request, matched once: the transport asks runs_inline, then hands it to handle.
  [[nodiscard]] RouteMatch match(const ApiRequest& request) const;
  // The handler's answer, possibly with `durable` still to wait for (then see settle).
  ApiResponse handle(const ApiRequest& request, RouteMatch match);
  // The answer to send once `durable` reported: the response itself, or the store's failure.
  static ApiResponse settle(ApiResponse response, const Status& durable);
  // Whether the request's route may run on the connection's own thread rather than the blocking
  // pool (see Route::quick): the hop between threads costs more than such a handler.
  [[nodiscard]] static bool runs_inline(const RouteMatch& match);

  // Until a hook is set, reads are recorded nowhere but still served (tests, early wiring).
  void set_read_audit_hook(ReadAuditHook hook) { read_audit_ = std::move(hook); }
  Status audit_read(const RequestContext& ctx, ReadAccess access) const;
  void set_student_recorded_hook(StudentRecordedHook hook) { student_recorded_ = std::move(hook); }
  [[nodiscard]] Status student_recorded(const nlohmann::json& student_doc) const {
    return student_recorded_ ? student_recorded_(student_doc) : Status();
  }

  [[nodiscard]] store::Store& store() { return store_; }
  [[nodiscard]] const schema::SchemaSet& schemas() const { return schemas_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  [[nodiscard]] TokenStore& tokens() { return tokens_; }
  [[nodiscard]] MetricsRegistry& metrics() { return metrics_; }

 private:
  // The metrics of one route, looked up once: the registry's lookup builds label strings under
  // a lock, which costs more than a quick handler. Statuses fill a few slots as they occur.
  struct RouteStats {
    static constexpr std::size_t k_slots = 8;
    Histogram* duration = nullptr;
    std::array<std::atomic<int>, k_slots> status{};
    std::array<std::atomic<Counter*>, k_slots> requests{};
  };
  Counter& requests_counter(const std::string& method, const Route* route, int status);

  ApiResponse dispatch(const ApiRequest& request, const std::string& path, RouteMatch match);
  ApiResponse run(const Route& route, const ApiRequest& request, const Principal* principal,
                  std::map<std::string, std::string> params);

  store::Store& store_;
  const schema::SchemaSet& schemas_;
  const Clock& clock_;
  TokenStore tokens_;
  MetricsRegistry metrics_;
  Router router_;
  std::vector<std::unique_ptr<RouteStats>> stats_;  // by route index, made in add_route
  std::mutex stats_mu_;                             // fills a RouteStats slot
  ReadAuditHook read_audit_;
  StudentRecordedHook student_recorded_;
};

// Parses the request body as a JSON object; on failure returns the 400 response to send.
std::optional<ApiResponse> parse_json_object(const ApiRequest& request, nlohmann::json& out);
// Refusals with the project's error shape.
ApiResponse forbidden(const std::string& message);
ApiResponse not_found(const std::string& message);
ApiResponse store_failure(const Status& status);

}  // namespace schakel::api
