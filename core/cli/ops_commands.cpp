// Live operations through the API: connectors list/status/check/run/pause/resume, config reload,
// outbox list/retry. Added to the `connectors` and `config` commands the offline files create.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/live.hpp"

namespace schakel::cli {
namespace {

using nlohmann::json;

CLI::App* command(CLI::App& parent, const std::string& name, const std::string& help) {
  try {
    return parent.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    auto* c = parent.add_subcommand(name, help);
    c->require_subcommand(1);
    return c;
  }
}

void render_connector(const json& c, std::ostream& out) { print_fields(c, out); }

int check_verdict(const json& b) { return b.value("ok", false) ? k_exit_ok : k_exit_refused; }

}  // namespace

Runner add_ops_commands(CLI::App& app, const Globals& globals) {
  auto* connectors = command(app, "connectors", "work with configured connectors");
  auto id = std::make_shared<std::string>();
  auto* list = connectors->add_subcommand("list", "every configured connector with its state (live)");
  auto* status = connectors->add_subcommand("status", "one connector's state, last poll and last error (live)");
  status->add_option("ID", *id, "connector id")->required();
  auto* run = connectors->add_subcommand("run", "poll a connector now (live)");
  run->add_option("ID", *id, "connector id")->required();
  auto* pause = connectors->add_subcommand("pause", "stop a connector's polls and deliveries until resumed (live)");
  pause->add_option("ID", *id, "connector id")->required();
  auto* resume = connectors->add_subcommand("resume", "resume a paused connector (live)");
  resume->add_option("ID", *id, "connector id")->required();
  auto* check = connectors->get_subcommand("check");  // offline with --config, else live

  auto* config = command(app, "config", "work with configuration files");
  auto* reload = config->add_subcommand("reload", "make the daemon re-read its configuration file, as SIGHUP (live)");

  auto* outbox = app.add_subcommand("outbox", "deliveries waiting, retrying, delivered or dead (live)");
  outbox->require_subcommand(1);
  auto state = std::make_shared<std::string>("dead");
  auto limit = std::make_shared<int>(100);
  auto connector = std::make_shared<std::string>();
  auto after = std::make_shared<std::string>();
  auto* olist = outbox->add_subcommand("list", "list outbox items of your schools (never their content)");
  olist->add_option("--state", *state, "pending, retry, dead or delivered")
      ->check(CLI::IsMember({"pending", "retry", "dead", "delivered"}))
      ->capture_default_str();
  olist->add_option("--limit", *limit, "at most this many")->check(CLI::Range(1, 1000))->capture_default_str();
  olist->add_option("--connector", *connector, "only this destination");
  olist->add_option("--after", *after, "only items with a larger id (paging)");
  auto* retry = outbox->add_subcommand("retry", "put a dead letter back to pending");
  auto item = std::make_shared<std::string>();
  retry->add_option("ID", *item, "outbox item id")->required();

  return [=, &globals]() -> int {
    const auto& live = globals.live;
    auto connector_path = [&](const std::string& suffix) { return "/v1/connectors/" + path_segment(*id) + suffix; };
    if (list->parsed()) {
      return run_live(live, {"connectors list", "GET", "/v1/connectors", std::nullopt,
                             [](const json& b, std::ostream& out) {
                               print_table(b.value("connectors", json::array()),
                                           {{"ID", "id"}, {"KIND", "kind"}, {"STATE", "state"}, {"PAUSED", "paused"},
                                            {"LAST POLL", "last_poll"}, {"LAST ERROR", "last_error"}},
                                           out);
                             }},
                      std::cout, std::cerr);
    }
    if (status->parsed())
      return run_live(live, {"connectors status", "GET", connector_path(""), std::nullopt, render_connector},
                      std::cout, std::cerr);
    if (check && check->parsed()) {
      LiveCall call{"connectors check", "POST", "/v1/connectors/" + path_segment(check->get_option("ID")->as<std::string>()) + "/check",
                    json::object(), [](const json& b, std::ostream& out) {
                      out << b.value("connector", "") << ": "
                          << (b.value("ok", false) ? "ok" : "check failed (" + b.value("result", "") + ")")
                          << (b.value("message", "").empty() ? "" : ": " + b.value("message", "")) << "\n";
                    }};
      call.verdict = check_verdict;
      return run_live(live, call, std::cout, std::cerr);
    }
    if (run->parsed())
      return run_live(live, {"connectors run", "POST", connector_path("/run"), json::object(),
                             [id](const json&, std::ostream& out) { out << *id << ": poll started\n"; }},
                      std::cout, std::cerr);
    if (pause->parsed() || resume->parsed()) {
      const bool p = pause->parsed();
      return run_live(live, {p ? "connectors pause" : "connectors resume", "POST", connector_path(p ? "/pause" : "/resume"),
                             json::object(),
                             [p](const json& b, std::ostream& out) {
                               out << b.value("id", "") << ": " << (p ? "paused" : "resumed") << "\n";
                             }},
                      std::cout, std::cerr);
    }
    if (reload->parsed())
      return run_live(live, {"config reload", "POST", "/v1/config/reload", json::object(),
                             [](const json&, std::ostream& out) { out << "configuration reloaded\n"; }},
                      std::cout, std::cerr);
    if (olist->parsed()) {
      const std::string q = query_string({{"state", *state}, {"limit", std::to_string(*limit)},
                                          {"connector", *connector}, {"after", *after}});
      return run_live(live, {"outbox list", "GET", "/v1/outbox" + q, std::nullopt,
                             [](const json& b, std::ostream& out) {
                               print_table(b.value("items", json::array()),
                                           {{"ID", "id"}, {"STATE", "state"}, {"CONNECTOR", "connector"},
                                            {"SCHOOL", "tenant"}, {"ATTEMPTS", "attempts"},
                                            {"NEXT ATTEMPT", "next_attempt_at"}, {"LAST ERROR", "last_error"}},
                                           out);
                               if (b.contains("next_after") && !b["next_after"].is_null())
                                 out << "(more: --after " << b["next_after"].dump() << ")\n";
                             }},
                      std::cout, std::cerr);
    }
    if (retry->parsed())
      return run_live(live, {"outbox retry", "POST", "/v1/outbox/" + path_segment(*item) + "/retry", json::object(),
                             [](const json& b, std::ostream& out) {
                               out << "outbox item " << b.value("id", json(0)).dump() << ": " << b.value("state", "") << "\n";
                             }},
                      std::cout, std::cerr);
    return -1;
  };
}

}  // namespace schakel::cli
