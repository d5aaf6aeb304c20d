// Connectors and config reload (admin, operator). Connectors and the configuration belong to the
// instance, not to one school, so these routes have no school scope. Work that must happen on
// the daemon's io_context (the scheduler, the configuration) is posted there and awaited with a
// bound, since handlers run on the API's blocking pool.
#include <chrono>
#include <future>
#include <memory>

#include <boost/asio/post.hpp>

#include "daemon/endpoints.hpp"
#include "daemon/endpoints_ops.hpp"
#include "daemon/runtime.hpp"
#include "log/log.hpp"

namespace schakel::daemon {
namespace {

using api::ApiResponse;
using api::RequestContext;
using api::Role;
using nlohmann::json;

constexpr auto k_io_wait = std::chrono::seconds(10);

// Runs `fn` on the io_context and waits for its result; nullopt when the loop did not get to it
// in time (stopping, or stuck).
template <typename T>
std::optional<T> on_io(Runtime& rt, std::function<T()> fn) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  boost::asio::post(rt.io(), [promise, fn = std::move(fn)] { promise->set_value(fn()); });
  if (future.wait_for(k_io_wait) != std::future_status::ready) return std::nullopt;
  return future.get();
}

ApiResponse io_timeout() {
  return api::error_response(503, "unavailable", "the daemon did not get to the request in time; try again");
}

const json* connector_config(Runtime& rt, const std::string& id, json& holder) {
  holder = rt.connectors_config();
  for (const auto& c : holder) {
    if (c.value("id", "") == id) return &c;
  }
  return nullptr;
}

// One JSON string as json::dump writes it (and refuses it: invalid UTF-8 throws).
void append_json_string(std::string& out, const std::string& text) { out += json(text).dump(); }

// One connector's configuration and status as a JSON object, written as text with its keys in
// sorted order (as json::dump would write them): the list is polled by monitoring, and building a
// JSON value per field cost more than the rest of the request.
void append_connector(std::string& out, Runtime& rt, const json& cfg) {
  const std::string id = cfg.value("id", "");
  const bool enabled = cfg.value("enabled", true);
  const auto schedule = cfg.find("schedule");
  auto status = rt.plugins().status(id);
  auto field = [&out](const char* name) {
    out += out.back() == '{' ? "\"" : ",\"";
    out += name;
    out += "\":";
  };
  auto time_or_null = [&out](const std::optional<TimePoint>& t) {
    if (t) {
      append_json_string(out, format_utc(*t));
    } else {
      out += "null";
    }
  };
  out += '{';
  if (status) {
    field("calls");
    out += std::to_string(status->calls);
    field("deadline_misses");
    out += std::to_string(status->deadline_misses);
    field("degraded");
    out += status->state == plugin_host::ConnectorState::degraded ? "true" : "false";
    field("delivery_stopped");
    out += rt.delivery().stopped(id) ? "true" : "false";
  }
  field("enabled");
  out += enabled ? "true" : "false";
  if (status) {
    field("errors");
    out += std::to_string(status->errors);
  }
  field("id");
  append_json_string(out, id);
  if (status) {
    field("kind");
    append_json_string(out, plugin_host::kind_name(status->kind));
    field("last_error");
    if (status->last_error.empty()) {
      out += "null";
    } else {
      append_json_string(out, status->last_error);
    }
    field("last_poll");
    time_or_null(rt.last_poll(id));
    field("next_restart");
    time_or_null(status->next_restart);
    field("paused");
    out += rt.paused(id) ? "true" : "false";
  }
  field("plugin");
  append_json_string(out, cfg.value("plugin", ""));
  if (status) {
    field("quarantined");
    out += std::to_string(status->quarantined);
    field("restarts");
    out += std::to_string(status->restarts);
  }
  if (schedule != cfg.end()) {
    field("schedule");
    out += schedule->dump();
  }
  field("state");
  if (status) {
    append_json_string(out, plugin_host::state_name(status->state));
  } else {
    append_json_string(out, enabled ? "not_loaded" : "disabled");
  }
  out += '}';
}

ApiResponse connector_response(Runtime& rt, const json& cfg) {
  ApiResponse r;
  r.status = 200;
  append_connector(r.body, rt, cfg);
  return r;
}

ApiResponse list_connectors(Runtime& rt) {
  ApiResponse r;
  r.status = 200;
  r.body = "{\"connectors\":[";
  bool first = true;
  for (const auto& c : rt.connectors_config()) {
    if (!first) r.body += ',';
    first = false;
    append_connector(r.body, rt, c);
  }
  r.body += "]}";
  return r;
}

ApiResponse show_connector(Runtime& rt, RequestContext& ctx) {
  json holder;
  const auto* cfg = connector_config(rt, ctx.param("id"), holder);
  if (!cfg) return api::not_found("connector " + ctx.param("id") + " is not configured");
  return connector_response(rt, *cfg);
}

ApiResponse check_connector(Runtime& rt, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  json holder;
  const auto* cfg = connector_config(rt, id, holder);
  if (!cfg) return api::not_found("connector " + id + " is not configured");
  if (!rt.plugins().status(id)) return api::error_response(409, "conflict", "connector " + id + " is not loaded");
  // The plugin's own deadline marks it degraded; the answer must come before the client gives up.
  const auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(cfg->value("call_timeout_ms", 30000)),
                                                        std::chrono::seconds(25));
  auto future = rt.plugins().check(id);
  if (future.wait_for(wait) != std::future_status::ready) {
    return api::error_response(504, "timeout", "the check of " + id + " did not finish within " +
                                                   std::to_string(wait.count()) + " ms");
  }
  const auto result = future.get();
  log::info("connector checked", {{"connector", id}, {"by", actor_of(ctx)},
                                  {"result", plugin_host::call_code_name(result.code)}});
  return api::json_response(200, {{"connector", id},
                                  {"ok", result.code == plugin_host::CallCode::ok},
                                  {"result", plugin_host::call_code_name(result.code)},
                                  {"message", result.message}});
}

ApiResponse pause_or_resume(Runtime& rt, RequestContext& ctx, bool pause) {
  const std::string& id = ctx.param("id");
  json holder;
  const auto* cfg = connector_config(rt, id, holder);
  if (!cfg) return api::not_found("connector " + id + " is not configured");
  if (const Status st = rt.set_paused(id, pause); !st) return status_response(st);
  log::info(pause ? "connector paused" : "connector resumed", {{"connector", id}, {"by", actor_of(ctx)}});
  return connector_response(rt, *cfg);
}

ApiResponse run_connector(Runtime& rt, RequestContext& ctx) {
  const std::string id = ctx.param("id");
  json holder;
  if (!connector_config(rt, id, holder)) return api::not_found("connector " + id + " is not configured");
  auto st = on_io<Status>(rt, [&rt, id] { return rt.run_now(id); });
  if (!st) return io_timeout();
  if (!*st) return status_response(*st);
  log::info("connector run now", {{"connector", id}, {"by", actor_of(ctx)}});
  return api::json_response(202, {{"connector", id}, {"started", true}});
}

// "connectors[2].settings" → "/connectors/2/settings"
std::string config_pointer(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '.' || c == '[') {
      out += '/';
    } else if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else if (c != ']') {
      out += c;
    }
  }
  return out.empty() || out.front() == '/' ? out : "/" + out;
}

ApiResponse reload_config(Runtime& rt, RequestContext& ctx) {
  const std::string actor = actor_of(ctx);
  auto errors = on_io<std::vector<config::ConfigError>>(rt, [&rt, actor] { return rt.reload(actor); });
  if (!errors) return io_timeout();
  if (errors->empty()) return api::json_response(200, {{"reloaded", true}});
  json problems = json::array();
  for (const auto& e : *errors) {
    problems.push_back({{"pointer", config_pointer(e.path)},
                        {"path", e.path},
                        {"line", e.mark.line},
                        {"column", e.mark.column},
                        {"message", e.to_string()}});
  }
  return api::json_response(422, {{"error", "invalid_config"},
                                  {"message", std::to_string(errors->size()) +
                                                  " error(s) in the configuration; the running one stays"},
                                  {"reloaded", false},
                                  {"problems", problems}});
}

}  // namespace

void register_operations_endpoints(api::ApiService& service, Runtime& rt) {
  const std::vector<Role> ops = {Role::admin, Role::operator_};
  const std::vector<Role> admin = {Role::admin};
  using api::SchoolScope;
  service.add_route({"GET", "/v1/connectors", ops, SchoolScope::none,
                     [&rt](RequestContext&) { return list_connectors(rt); },
                     "list the connectors with their status"});
  service.add_route({"GET", "/v1/connectors/{id}", ops, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return show_connector(rt, ctx); },
                     "one connector's status"});
  service.add_route({"POST", "/v1/connectors/{id}/check", admin, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return check_connector(rt, ctx); },
                     "run the connector's plugin check"});
  service.add_route({"POST", "/v1/connectors/{id}/pause", admin, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return pause_or_resume(rt, ctx, true); },
                     "stop the connector's polls and deliveries until resumed"});
  service.add_route({"POST", "/v1/connectors/{id}/resume", admin, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return pause_or_resume(rt, ctx, false); },
                     "resume a paused connector"});
  service.add_route({"POST", "/v1/connectors/{id}/run", ops, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return run_connector(rt, ctx); }, "poll the connector now"});
  service.add_route({"POST", "/v1/config/reload", admin, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return reload_config(rt, ctx); },
                     "re-read the configuration file, as SIGHUP"});
  register_outbox_endpoints(service, rt);
}

}  // namespace schakel::daemon
