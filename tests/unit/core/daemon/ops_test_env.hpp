#pragma once
// The daemon's Runtime in-process: a real config file and data dir in a temp dir, the in-tree
// demo source ("src", scheduled) and no-op sink ("sink") from the build's plugin directory, two
// schools (27XK ours, 12AB the other), the API on 127.0.0.1:0 and the io_context on a thread of
// its own, as in schakeld. Requests go straight to the ApiService (as the API's pool would).
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "api/api_service.hpp"
#include "config/config.hpp"
#include "daemon/runtime.hpp"
#include "schema/schema_set.hpp"
#include "temp_dir.hpp"

namespace schakel::daemon::test {

inline constexpr const char* k_own_brin = "27XK";
inline constexpr const char* k_other_brin = "12AB";

inline std::string ops_config_text(const std::string& extra = "") {
  return "version: 1\ninstance:\n  name: ops-test\n  demo: true\n  data_dir: data\n"
         "  log: {format: json, level: warn}\n  shutdown_deadline_ms: 2000\n"
         "  plugin_dirs: ['" + std::string(SCHAKEL_BINARY_DIR) + "/plugins']\n"
         "api:\n  listen: 127.0.0.1:0\n"
         "schools:\n  - {brin: 27XK, vestiging: '01', naam: CBS Het Kompas}\n"
         "  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n"
         "connectors:\n  - {id: src, plugin: schakel_demo_source, schedule: '0 3 * * *', run_missed_at_start: false,"
         " settings: {batch: 2}}\n  - {id: manual, plugin: schakel_demo_source}\n"
         "  - {id: sink, plugin: schakel_noop_sink}\n" + extra;
}

struct OpsEnv {
  schakel::test::TempDir dir;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<Runtime> rt;
  std::thread io_thread;

  std::filesystem::path config_file() const { return dir.path() / "schakel.yaml"; }
  void write_config(const std::string& text) const { std::ofstream(config_file()) << text; }

  OpsEnv() {
    write_config(ops_config_text());
    const std::string schema_dir = std::string(SCHAKEL_SOURCE_DIR) + "/schemas";
    auto schemas = schema::SchemaSet::load(schema_dir);
    if (!schemas) throw std::runtime_error(schemas.status().message());
    auto loaded = config::load_config(config_file(), *schemas);
    if (!loaded.config) throw std::runtime_error(loaded.errors.at(0).to_string());
    auto opened = Runtime::open(io, std::move(*schemas), std::move(*loaded.config), schema_dir);
    if (!opened) throw std::runtime_error(opened.status().message());
    rt = std::move(*opened);
    if (auto st = rt->start(); !st) throw std::runtime_error(st.message());
    io_thread = std::thread([this] { io.run(); });
  }

  ~OpsEnv() {
    boost::asio::post(io, [this] { rt->stop([this] { guard.reset(); io.stop(); }); });
    io_thread.join();
    rt.reset();
  }

  api::ApiService& service() { return rt->api()->service(); }

  std::string token(api::Role role, const std::string& brin, std::string* id = nullptr) {
    api::NewToken req{role, {brin}, rt->clock().now() + std::chrono::hours(24), "test", "test token"};
    auto issued = service().tokens().create(req);
    if (!issued) throw std::runtime_error(issued.status().message());
    if (id) *id = issued->row.id;
    return issued->secret;
  }

  // A dead letter of school `tenant` for `connector`, as the delivery engine leaves one.
  std::int64_t dead_letter(const std::string& tenant, const std::string& connector = "gone") {
    static int n = 0;
    store::OutboxItem item;
    item.route_id = "r1";
    item.connector = connector;
    item.idempotency_key = "key-" + std::to_string(++n) + "-" + tenant;
    item.tenant = tenant;
    item.student_id = "stu_secret_id";
    item.purpose = "swv_request";
    item.recipient = {{"organisation", "SWV PO2701"}};
    item.document = R"({"secret_document":"inhoud"})";
    item.schema_name = "referral";
    item.created_at = rt->clock().now();
    item.next_attempt_at = rt->clock().now();
    std::int64_t id = 0;
    const Status st = rt->store().write([&](store::Transaction& tx) -> Status {
      auto e = tx.enqueue_outbox(item);
      if (!e) return e.status();
      id = e->item.id;
      auto leased = tx.lease_outbox(connector, rt->clock().now() + std::chrono::hours(1), 1000);
      if (!leased) return leased.status();
      return tx.mark_outbox_dead(id, "destination said no", true);
    });
    if (!st) throw std::runtime_error(st.message());
    return id;
  }
};

inline api::ApiRequest request(const std::string& method, const std::string& target, const std::string& token = "",
                               const std::string& body = "") {
  api::ApiRequest r;
  r.method = method;
  r.target = target;
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  r.body = body;
  r.client_ip = "127.0.0.1";
  return r;
}

inline nlohmann::json body_of(const api::ApiResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

}  // namespace schakel::daemon::test
