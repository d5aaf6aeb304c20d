// GET /v1/outbox and POST /v1/outbox/{id}/retry (admin, operator). Items belong to a school: a
// token lists and retries only those of its own schools. A listing never shows what was sent
// (document, student, categories): an operator sees that something is stuck, not what.
#include <charconv>

#include "daemon/endpoints.hpp"
#include "daemon/endpoints_ops.hpp"
#include "daemon/runtime.hpp"
#include "log/log.hpp"

namespace schakel::daemon {
namespace {

using api::ApiResponse;
using api::RequestContext;
using nlohmann::json;

constexpr int k_default_limit = 100;
constexpr int k_max_limit = 1000;
constexpr int k_max_pages = 20;  // bounds the scan when most items belong to other schools

std::map<std::string, std::string> query_params(const std::string& target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string rest = target.substr(q + 1);
  std::size_t at = 0;
  while (at <= rest.size()) {
    auto amp = rest.find('&', at);
    if (amp == std::string::npos) amp = rest.size();
    const std::string pair = rest.substr(at, amp - at);
    const auto eq = pair.find('=');
    if (!pair.empty()) out[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    at = amp + 1;
  }
  return out;
}

bool parse_int(const std::string& text, std::int64_t& out) {
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end && !text.empty();
}

json item_json(const store::OutboxItem& i) {
  auto t = [](const std::optional<TimePoint>& at) { return at ? json(format_utc(*at)) : json(nullptr); };
  return {{"id", i.id},
          {"state", i.state == store::OutboxState::pending && i.attempts > 0 ? "retry" : store::outbox_state_name(i.state)},
          {"connector", i.connector},
          {"kind", i.kind},
          {"route_id", i.route_id},
          {"tenant", i.tenant},
          {"purpose", i.purpose},
          {"recipient", i.recipient.value("organisation", json(nullptr))},
          {"attempts", i.attempts},
          {"created_at", format_utc(i.created_at)},
          {"next_attempt_at", format_utc(i.next_attempt_at)},
          {"delivered_at", t(i.delivered_at)},
          {"last_error", i.last_error.empty() ? json(nullptr) : json(i.last_error)}};
}

ApiResponse list_outbox(Runtime& rt, RequestContext& ctx) {
  const auto params = query_params(ctx.request().target);
  std::vector<api::Problem> problems;
  for (const auto& [k, v] : params) {
    if (k != "state" && k != "limit" && k != "connector" && k != "after") problems.push_back({"/query/" + k, "unknown parameter"});
  }
  store::OutboxQuery q;
  bool retry_only = false;
  const std::string state = params.count("state") ? params.at("state") : "dead";
  if (state == "retry") {
    q.state = store::OutboxState::pending;
    retry_only = true;
  } else if (state == "pending" || state == "dead" || state == "delivered") {
    q.state = store::outbox_state_from_name(state);
  } else {
    problems.push_back({"/query/state", "must be pending, retry, dead or delivered"});
  }
  std::int64_t limit = k_default_limit;
  if (params.count("limit") && (!parse_int(params.at("limit"), limit) || limit < 1 || limit > k_max_limit))
    problems.push_back({"/query/limit", "must be an integer from 1 to " + std::to_string(k_max_limit)});
  std::int64_t after = 0;
  if (params.count("after") && (!parse_int(params.at("after"), after) || after < 0))
    problems.push_back({"/query/after", "must be a non-negative integer (an item id)"});
  if (params.count("connector")) {
    if (!api::is_valid_id(params.at("connector"))) problems.push_back({"/query/connector", "not a connector id"});
    q.connector = params.at("connector");
  }
  if (!problems.empty()) return api::error_response(400, "bad_request", "the outbox query is not valid", problems);

  json items = json::array();
  std::int64_t last_seen = after;
  bool more = false;
  ctx.may_see_all({});  // the filter below checks each item's school
  for (int page = 0; page < k_max_pages && static_cast<std::int64_t>(items.size()) < limit; ++page) {
    q.after_id = last_seen;
    q.limit = static_cast<int>(limit);
    auto tx = rt.store().begin(false);
    if (!tx) return api::store_failure(tx.status());
    auto rows = (*tx)->list_outbox(q);
    if (!rows) return api::store_failure(rows.status());
    for (const auto& row : *rows) {
      last_seen = row.id;
      if (retry_only && row.attempts == 0) continue;
      if (!ctx.may_see(row.tenant)) continue;
      items.push_back(item_json(row));
      if (static_cast<std::int64_t>(items.size()) == limit) break;
    }
    more = static_cast<std::int64_t>(rows->size()) == q.limit;
    if (!more) break;
  }
  json body = {{"state", state}, {"items", items}};
  body["next_after"] = more ? json(last_seen) : json(nullptr);
  return api::json_response(200, body);
}

ApiResponse retry_item(Runtime& rt, RequestContext& ctx) {
  std::int64_t id = 0;
  if (!parse_int(ctx.param("id"), id) || id <= 0) {
    ctx.may_see_all({});
    return api::error_response(400, "bad_request", "an outbox id is a positive integer",
                               {{"/path/id", "not an integer"}});
  }
  auto item = rt.delivery().inspect(id);
  if (!item) return api::store_failure(item.status());
  if (!*item) {
    ctx.may_see_all({});
    return api::not_found("outbox item " + std::to_string(id) + " does not exist");
  }
  if (!ctx.may_see((*item)->tenant))
    return api::forbidden("outbox item " + std::to_string(id) + " belongs to a school this token does not see");
  if ((*item)->state != store::OutboxState::dead) {
    return api::error_response(409, "conflict", "outbox item " + std::to_string(id) + " is " +
                                                    store::outbox_state_name((*item)->state) +
                                                    "; only a dead letter can be retried");
  }
  // The answer is the item as the replay left it: a delivery worker may take it at once.
  auto replayed = rt.delivery().replay(id, {actor_of(ctx), api::role_name(ctx.principal()->role)});
  if (!replayed) return status_response(replayed.status());
  log::info("dead letter retried", {{"outbox_id", id}, {"by", actor_of(ctx)}});
  return api::json_response(200, item_json(*replayed));
}

}  // namespace

void register_outbox_endpoints(api::ApiService& service, Runtime& rt) {
  const std::vector<api::Role> ops = {api::Role::admin, api::Role::operator_};
  service.add_route({"GET", "/v1/outbox", ops, api::SchoolScope::resource,
                     [&rt](RequestContext& ctx) { return list_outbox(rt, ctx); },
                     "list outbox items by state (no document content)"});
  service.add_route({"POST", "/v1/outbox/{id}/retry", ops, api::SchoolScope::resource,
                     [&rt](RequestContext& ctx) { return retry_item(rt, ctx); },
                     "put a dead letter back to pending"});
}

}  // namespace schakel::daemon
