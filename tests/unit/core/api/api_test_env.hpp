#pragma once
// A real SQLite store in a temp dir, the real schemas, a manual clock, and both schools of the
// shared test data (tests/support/school_fixture.hpp), for the API without the daemon.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/api_service.hpp"
#include "api/endpoints.hpp"
#include "schema/schema_set.hpp"
#include "school_fixture.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace schakel::api::test {

using schakel::test::body_of;
using schakel::test::k_other_brin;
using schakel::test::k_own_brin;
using schakel::test::request;
using schakel::test::student_doc;

struct ApiEnv {
  schakel::test::TempDir dir;
  std::unique_ptr<store::Store> store;
  schema::SchemaSet schemas = load_schemas();
  ManualClock clock{TimePoint{std::chrono::seconds(1'790'000'000)}};  // 2026-09

  static schema::SchemaSet load_schemas() {
    auto s = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
    if (!s) throw std::runtime_error(s.status().message());
    return std::move(*s);
  }

  ApiEnv() {
    auto opened = store::open_sqlite({dir.path() / "schakel.db"});
    if (!opened) throw std::runtime_error(opened.status().message());
    store = std::move(*opened);
    schakel::test::put_two_schools(*store, clock.now());
  }

  // A new token's secret, created directly in the token store (as the offline CLI would).
  std::string token(TokenStore& tokens, Role role, const std::string& brin, std::string* id = nullptr) {
    return schakel::test::issue_token(tokens, role, brin, clock.now(), id);
  }
};

}  // namespace schakel::api::test
