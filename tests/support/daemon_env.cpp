#include "daemon_env.hpp"

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "config/config.hpp"
#include "schema/schema_set.hpp"

namespace schakel::test {
namespace {

const std::string k_schema_dir = std::string(SCHAKEL_SOURCE_DIR) + "/schemas";

std::string route(const std::string& id, const std::string& trigger, const std::string& projection,
                  const std::string& more = "") {
  return "  - id: " + id + "\n    trigger: " + trigger + "\n" + more + "    projection: " + projection +
         "\n    connector: swv-portal\n"
         "    recipient: {organisation: '" + std::string(k_swv) + "', role: education_specialist, name: Loket}\n"
         "    purpose: swv_request\n    processing_activity: aanmelding-swv\n    denied: block\n";
}

}  // namespace

std::string DaemonEnv::config_text(const Options& options) {
  return "version: 1\ninstance:\n  name: " + options.name + "\n  demo: true\n  data_dir: data\n"
         "  plugin_dirs: [plugins]\n  log: {format: json, level: warn}\n  shutdown_deadline_ms: 2000\n"
         "api:\n  listen: 127.0.0.1:0\n  allow_plain_http_on_loopback: true\n"
         "schools:\n  - {brin: 27XK, vestiging: '01', naam: CBS Het Kompas}\n"
         "  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n" + options.sections;
}

DaemonEnv::Options DaemonEnv::demo_connectors(const std::string& extra) {
  Options o;
  o.name = "ops-test";
  o.sections =
      "connectors:\n  - {id: src, plugin: schakel_demo_source, schedule: '0 3 * * *', run_missed_at_start: false,"
      " settings: {batch: 2}}\n  - {id: manual, plugin: schakel_demo_source}\n"
      "  - {id: sink, plugin: schakel_noop_sink}\n" + extra;
  o.plugins = {"schakel_demo_source", "schakel_noop_sink"};
  o.start = true;
  o.seed = false;
  return o;
}

DaemonEnv::Options DaemonEnv::referral_routes() {
  Options o;
  o.name = "api-case-test";
  o.sections = "connectors:\n  - {id: swv-portal, plugin: noop-sink}\nroutes:\n" +
               route("swv-referral", "referral.queued", "referral") +
               route("swv-supplement", "referral.supplement_answered", "referral_supplement") +
               route("swv-stage", "case.stage_reached", "case", "    stage: arrangement_requested\n") +
               "  - id: ot-calendar\n    trigger: meeting.planned\n    projection: meeting\n    connector: swv-portal\n"
               "    recipient: {organisation: GGD, role: youth_nurse, name: Jeugdverpleegkundige}\n"
               "    purpose: ot_meeting\n    processing_activity: ot-planning\n    denied: redact\n";
  o.plugins = {"schakel_noop_sink"};
  o.now = TimePoint{std::chrono::seconds(1'790'000'000)};  // 2026-09-21
  return o;
}

DaemonEnv::DaemonEnv(Options options) {
  namespace fs = std::filesystem;
  // The plugin directory must not be writable by others: the host refuses to load from one.
  const fs::path plugins = dir_.path() / "plugins";
  fs::create_directories(plugins);
  ::chmod(plugins.c_str(), 0755);
  for (const auto& stem : options.plugins) {
    const fs::path so = plugins / ("lib" + stem + ".so");
    fs::copy_file(std::string(SCHAKEL_BINARY_DIR) + "/plugins/lib" + stem + ".so", so);
    ::chmod(so.c_str(), 0755);
  }
  write_config(config_text(options));
  auto schemas = schema::SchemaSet::load(k_schema_dir);
  if (!schemas) throw std::runtime_error(schemas.status().message());
  auto loaded = config::load_config(config_file(), *schemas);
  if (!loaded.config) {
    std::string all;
    for (const auto& e : loaded.errors) all += e.to_string() + "\n";
    throw std::runtime_error("config: " + all);
  }
  auto opened = daemon::Runtime::open(io_, std::move(*schemas), std::move(*loaded.config), k_schema_dir);
  if (!opened) throw std::runtime_error(opened.status().message());
  rt_ = std::move(*opened);
  if (rt_->api() == nullptr) throw std::runtime_error("the runtime has no API");
  if (options.now) rt_->clock().set(*options.now);
  if (options.seed) seed();
  if (options.start) {
    if (auto st = rt_->start(); !st) throw std::runtime_error(st.message());
    work_.emplace(io_.get_executor());
    io_thread_ = std::thread([this] { io_.run(); });
  }
}

DaemonEnv::~DaemonEnv() {
  if (io_thread_.joinable()) {
    boost::asio::post(io_, [this] { rt_->stop([this] { work_.reset(); io_.stop(); }); });
    io_thread_.join();
  }
  rt_.reset();
}

void DaemonEnv::seed() {
  put_two_schools(rt_->store(), rt_->clock().now());
  put(store::Kind::guardian, "g_own", k_own_tenant, guardian_doc("g_own", "stu_own"));
  put(store::Kind::guardian, "g_other", k_other_tenant, guardian_doc("g_other", "stu_other"));
  for (const auto& [s, school] : {std::pair{"stu_own", "sch_own"}, std::pair{"stu_other", "sch_other"}}) {
    auto st = rt_->consent().change([&](consent::ConsentIndex& i) { return i.apply_student(student_doc(s, school)); });
    if (!st) throw std::runtime_error(st.message());
  }
  for (const auto& [g, s] : {std::pair{"g_own", "stu_own"}, std::pair{"g_other", "stu_other"}}) {
    auto st = rt_->consent().change([&](consent::ConsentIndex& i) { return i.apply_guardian(guardian_doc(g, s)); });
    if (!st) throw std::runtime_error(st.message());
  }
}

void DaemonEnv::write_config(const std::string& text) const { std::ofstream(config_file()) << text; }

void DaemonEnv::put(store::Kind kind, const std::string& id, const std::string& tenant, const nlohmann::json& doc) {
  put_entity(rt_->store(), kind, id, tenant, doc, rt_->clock().now());
}

std::string DaemonEnv::token(api::Role role, const std::string& brin, std::string* id) {
  return issue_token(service().tokens(), role, brin, rt_->clock().now(), id);
}

api::ApiResponse DaemonEnv::call(const std::string& method, const std::string& target, const std::string& token,
                                 const nlohmann::json& body, std::map<std::string, std::string> headers) {
  std::string text;
  if (!body.is_null()) {
    text = body.dump();
    headers["content-type"] = "application/json";
  }
  return service().handle(request(method, target, token, text, std::move(headers)));
}

std::int64_t DaemonEnv::dead_letter(const std::string& tenant, const std::string& connector) {
  store::OutboxItem item;
  item.route_id = "r1";
  item.connector = connector;
  item.idempotency_key = "key-" + std::to_string(++dead_letters_) + "-" + tenant;
  item.tenant = tenant;
  item.student_id = "stu_secret_id";
  item.purpose = "swv_request";
  item.recipient = {{"organisation", "SWV PO2701"}};
  item.document = R"({"secret_document":"inhoud"})";
  item.schema_name = "referral";
  item.created_at = rt_->clock().now();
  item.next_attempt_at = rt_->clock().now();
  std::int64_t id = 0;
  const Status st = rt_->store().write([&](store::Transaction& tx) -> Status {
    auto e = tx.enqueue_outbox(item);
    if (!e) return e.status();
    id = e->item.id;
    auto leased = tx.lease_outbox(connector, rt_->clock().now() + std::chrono::hours(1), 1000);
    if (!leased) return leased.status();
    return tx.mark_outbox_dead(id, "destination said no", true);
  });
  if (!st) throw std::runtime_error(st.message());
  return id;
}

std::vector<store::AuditRow> DaemonEnv::audit_rows(const std::string& action) {
  auto tx = rt_->store().begin(false);
  if (!tx) throw std::runtime_error(tx.status().message());
  auto rows = (*tx)->audit_range(1, 1000);
  if (!rows) throw std::runtime_error(rows.status().message());
  std::vector<store::AuditRow> out;
  for (auto& row : *rows) {
    if (row.action == action) out.push_back(row);
  }
  return out;
}

}  // namespace schakel::test
