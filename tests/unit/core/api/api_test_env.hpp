#pragma once
// A real SQLite store in a temp dir, the real schemas, a manual clock, the core endpoints, and a
// token per role for "our" school 27XK (the other school is 12AB). Shared by the API tests.
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/api_service.hpp"
#include "api/endpoints.hpp"
#include "schema/schema_set.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace schakel::api::test {

inline constexpr const char* k_own_brin = "27XK";
inline constexpr const char* k_other_brin = "12AB";

inline nlohmann::json read_json_file(const std::string& relative) {
  std::ifstream in(std::string(SCHAKEL_SOURCE_DIR) + "/" + relative);
  return nlohmann::json::parse(in);
}

// A valid student document of school `school_id`.
inline nlohmann::json student_doc(const std::string& id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"las_key", "L-" + id},
          {"naam", {{"roepnaam", "Zoë"}, {"achternaam", "Vries"}}},
          {"birth_date", "2016-03-01"},
          {"status", "active"}};
}

struct ApiEnv {
  schakel::test::TempDir dir;
  std::unique_ptr<store::Store> store;
  schema::SchemaSet schemas = load_schemas();
  ManualClock clock{TimePoint{std::chrono::seconds(1'790'000'000)}};  // 2026-09
  std::map<Role, std::string> own_tokens;  // role → secret for school 27XK

  static schema::SchemaSet load_schemas() {
    auto s = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
    if (!s) throw std::runtime_error(s.status().message());
    return std::move(*s);
  }

  ApiEnv() {
    auto opened = store::open_sqlite({dir.path() / "schakel.db"});
    if (!opened) throw std::runtime_error(opened.status().message());
    store = std::move(*opened);
    // Two schools and one student in each.
    put(store::Kind::school, "sch_own", "27XK01", {{"id", "sch_own"}, {"brin", "27XK"}, {"vestiging", "01"},
                                                  {"naam", "CBS Het Kompas"}, {"swv_code", "PO2401"}});
    put(store::Kind::school, "sch_other", "12AB00", {{"id", "sch_other"}, {"brin", "12AB"}, {"vestiging", "00"},
                                                    {"naam", "OBS De Regenboog"}, {"swv_code", "PO2401"}});
    put(store::Kind::student, "stu_own", "27XK01", student_doc("stu_own", "sch_own"));
    put(store::Kind::student, "stu_other", "12AB00", student_doc("stu_other", "sch_other"));
  }

  void put(store::Kind kind, const std::string& id, const std::string& tenant, const nlohmann::json& doc) {
    store::Entity e;
    e.kind = kind;
    e.id = id;
    e.tenant = tenant;
    e.doc = doc;
    e.updated_at = clock.now();
    const Status st = store->write([&](store::Transaction& tx) { return tx.put(e); });
    if (!st) throw std::runtime_error(st.message());
  }

  // A new token's secret, created directly in the token store (as the offline CLI would).
  std::string token(TokenStore& tokens, Role role, const std::string& brin, std::string* id = nullptr) {
    NewToken req{role, {brin}, clock.now() + std::chrono::hours(24), "test", "test token"};
    auto issued = tokens.create(req);
    if (!issued) throw std::runtime_error(issued.status().message());
    if (id) *id = issued->row.id;
    return issued->secret;
  }
};

inline ApiRequest request(const std::string& method, const std::string& target, const std::string& token = "",
                          const std::string& body = "") {
  ApiRequest r;
  r.method = method;
  r.target = target;
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  r.body = body;
  r.client_ip = "127.0.0.1";
  return r;
}

inline nlohmann::json body_of(const ApiResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

}  // namespace schakel::api::test
