#pragma once
// A daemon::Runtime opened in-process on a temp config (SQLite file, the noop sink as the SWV's
// connector, a referral route), with two schools, a student in each, a guardian with gezag, and a
// token per role for "our" school 27XK (the other is 12AB). Requests go straight to the
// ApiService: no socket is opened and the runtime is never started.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "api/api_service.hpp"
#include "config/config.hpp"
#include "daemon/runtime.hpp"
#include "temp_dir.hpp"

namespace schakel::daemon::test {

using api::ApiRequest;
using api::ApiResponse;
using api::Role;
using nlohmann::json;

inline constexpr const char* k_own_brin = "27XK";
inline constexpr const char* k_other_brin = "12AB";
inline constexpr const char* k_swv = "SWV Passend Onderwijs PO2401";

inline json student_doc(const std::string& id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"las_key", "L-" + id},
          {"naam", {{"voornamen", "Zoë Anna"}, {"roepnaam", "Zoë"}, {"achternaam", "Vries"}}},
          {"birth_date", "2016-03-01"},
          {"groep", "5"},
          {"status", "active"}};
}

inline json guardian_doc(const std::string& id, const std::string& student_id) {
  return {{"id", id},
          {"naam", {{"roepnaam", "Anna"}, {"achternaam", "Vries"}}},
          {"children", {{{"student_id", student_id}, {"relation", "parent"}, {"gezag", "yes"}}}}};
}

// A consent of `guardian` for the SWV's referral, with the given categories.
inline json consent_doc(const std::string& id, const std::string& student_id, const std::string& school_id,
                        const std::string& guardian, const std::vector<std::string>& categories) {
  return {{"id", id},
          {"student_id", student_id},
          {"school_id", school_id},
          {"grantors", {{{"kind", "guardian"}, {"guardian_id", guardian}}}},
          {"recipients", {{{"organisation", k_swv}}}},
          {"purposes", {"swv_request"}},
          {"categories", categories},
          {"valid_from", "2026-01-01"},
          {"legal_basis", "consent"},
          {"evidence", {{"form_version", "toestemming-2026.1"}, {"recorded_by", "staff_ib"}}}};
}

inline json case_doc(const std::string& id, const std::string& student_id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"student_id", student_id},
          {"stage", "ot"},
          {"opened_on", "2026-09-01"},
          {"questions", {{{"asked_by", "teacher"}, {"question", "Hoe helpen we Zoë bij rekenen?"}}}}};
}

inline json referral_doc(const std::string& id, const std::string& case_id, const std::string& student_id,
                         const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"student_id", student_id},
          {"case_id", case_id},
          {"type", "arrangement"},
          {"question", "Ondersteuning bij rekenen in de klas"},
          {"education_needs", {"instructie in kleine stappen"}}};
}

class DaemonApiEnv {
 public:
  DaemonApiEnv() {
    namespace fs = std::filesystem;
    const fs::path plugins = dir_.path() / "plugins";
    fs::create_directories(plugins);
    ::chmod(plugins.c_str(), 0755);
    const fs::path so = plugins / "libschakel_noop_sink.so";
    fs::copy_file(std::string(SCHAKEL_BINARY_DIR) + "/plugins/libschakel_noop_sink.so", so);
    ::chmod(so.c_str(), 0755);
    const std::string text = std::string("version: 1\n") +
        "instance:\n  name: api-case-test\n  data_dir: data\n  plugin_dirs: [plugins]\n  log: {level: warn}\n"
        "api:\n  listen: 127.0.0.1:0\n  allow_plain_http_on_loopback: true\n"
        "schools:\n  - {brin: 27XK, vestiging: '01', naam: CBS Het Kompas}\n"
        "  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n"
        "connectors:\n  - {id: swv-portal, plugin: noop-sink}\n"
        "routes:\n"
        "  - id: swv-referral\n    trigger: referral.queued\n    projection: referral\n    connector: swv-portal\n"
        "    recipient: {organisation: '" + k_swv + "', role: education_specialist, name: Loket}\n"
        "    purpose: swv_request\n    processing_activity: aanmelding-swv\n    denied: block\n"
        "  - id: swv-supplement\n    trigger: referral.supplement_answered\n    projection: referral_supplement\n"
        "    connector: swv-portal\n"
        "    recipient: {organisation: '" + k_swv + "', role: education_specialist, name: Loket}\n"
        "    purpose: swv_request\n    processing_activity: aanmelding-swv\n    denied: block\n"
        "  - id: swv-stage\n    trigger: case.stage_reached\n    stage: arrangement_requested\n    projection: case\n"
        "    connector: swv-portal\n"
        "    recipient: {organisation: '" + k_swv + "', role: education_specialist, name: Loket}\n"
        "    purpose: swv_request\n    processing_activity: aanmelding-swv\n    denied: block\n"
        "  - id: ot-calendar\n    trigger: meeting.planned\n    projection: meeting\n    connector: swv-portal\n"
        "    recipient: {organisation: GGD, role: youth_nurse, name: Jeugdverpleegkundige}\n"
        "    purpose: ot_meeting\n    processing_activity: ot-planning\n    denied: redact\n";
    auto schemas = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
    if (!schemas) throw std::runtime_error(schemas.status().message());
    auto loaded = config::load_config_text(text, dir_.path() / "schakel.yaml", *schemas);
    if (!loaded.config) {
      std::string all;
      for (const auto& e : loaded.errors) all += e.to_string() + "\n";
      throw std::runtime_error("config: " + all);
    }
    auto rt = Runtime::open(io_, std::move(*schemas), std::move(*loaded.config),
                            std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
    if (!rt) throw std::runtime_error(rt.status().message());
    rt_ = std::move(*rt);
    rt_->clock().set(TimePoint{std::chrono::seconds(1'790'000'000)});  // 2026-09-21

    put(store::Kind::school, "sch_own", "27XK01", {{"id", "sch_own"}, {"brin", "27XK"}, {"vestiging", "01"},
                                                  {"naam", "CBS Het Kompas"}, {"swv_code", "PO2401"}});
    put(store::Kind::school, "sch_other", "12AB00", {{"id", "sch_other"}, {"brin", "12AB"}, {"vestiging", "00"},
                                                    {"naam", "OBS De Regenboog"}, {"swv_code", "PO2401"}});
    put(store::Kind::student, "stu_own", "27XK01", student_doc("stu_own", "sch_own"));
    put(store::Kind::student, "stu_other", "12AB00", student_doc("stu_other", "sch_other"));
    put(store::Kind::guardian, "g_own", "27XK01", guardian_doc("g_own", "stu_own"));
    put(store::Kind::guardian, "g_other", "12AB00", guardian_doc("g_other", "stu_other"));
    for (const char* s : {"stu_own", "stu_other"}) {
      auto st = rt_->consent().change([&](consent::ConsentIndex& i) { return i.apply_student(student_doc(s, s == std::string("stu_own") ? "sch_own" : "sch_other")); });
      if (!st) throw std::runtime_error(st.message());
    }
    for (const auto& [g, s] : {std::pair{"g_own", "stu_own"}, std::pair{"g_other", "stu_other"}}) {
      auto st = rt_->consent().change([&](consent::ConsentIndex& i) { return i.apply_guardian(guardian_doc(g, s)); });
      if (!st) throw std::runtime_error(st.message());
    }
  }

  Runtime& rt() { return *rt_; }
  api::ApiService& service() { return rt_->api()->service(); }

  void put(store::Kind kind, const std::string& id, const std::string& tenant, const json& doc) {
    store::Entity e;
    e.kind = kind;
    e.id = id;
    e.tenant = tenant;
    e.doc = doc;
    if (doc.contains("student_id")) e.student_id = doc["student_id"].get<std::string>();
    e.updated_at = rt_->clock().now();
    const Status st = rt_->store().write([&](store::Transaction& tx) { return tx.put(e); });
    if (!st) throw std::runtime_error(st.message());
  }

  // A token's secret for `role` at `brin` (default our school); `id` receives its id.
  std::string token(Role role, const std::string& brin = k_own_brin, std::string* id = nullptr) {
    api::NewToken req{role, {brin}, rt_->clock().now() + std::chrono::hours(24), "test", "test token"};
    auto issued = service().tokens().create(req);
    if (!issued) throw std::runtime_error(issued.status().message());
    if (id) *id = issued->row.id;
    return issued->secret;
  }

  ApiResponse call(const std::string& method, const std::string& target, const std::string& token,
                   const json& body = nullptr) {
    ApiRequest r;
    r.method = method;
    r.target = target;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    if (!body.is_null()) r.body = body.dump();
    r.client_ip = "127.0.0.1";
    return service().handle(r);
  }

 private:
  schakel::test::TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<Runtime> rt_;
};

inline json body_of(const ApiResponse& r) { return json::parse(r.body, nullptr, false); }

}  // namespace schakel::daemon::test
