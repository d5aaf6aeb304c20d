#pragma once
// The sis-oneroster plugin in the real plugin host, writing into a real SQLite store through a
// small importer (the envelope rules in plugins/sis-oneroster/sync.hpp), with bundles written by
// scripts/gen-oneroster.
#include "plugin_test_options.hpp"
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "plugin_host/plugin_host.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace schakel::test {

using nlohmann::json;

inline std::optional<store::Kind> kind_of_stream(const std::string& stream) {
  if (stream == "schools") return store::Kind::school;
  if (stream == "students") return store::Kind::student;
  if (stream == "guardians") return store::Kind::guardian;
  if (stream == "staff") return store::Kind::staff;
  return std::nullopt;
}

// What the core's import does with one envelope: upsert by (connector, sourcedId), or retire.
inline Status import_envelope(store::Store& st, const std::string& connector, const std::string& stream,
                              const json& env) {
  return st.write([&](store::Transaction& tx) -> Status {
    if (stream == "rejected_rows") {
      store::QuarantineRow row;
      row.connector = connector;
      row.stream = stream;
      row.source = env.value("source", "");
      row.reason = env.value("reason", "");
      row.record = env.dump();
      return tx.quarantine(row);
    }
    auto kind = kind_of_stream(stream);
    if (!kind) return Status(ErrorCode::invalid, "unknown stream " + stream);
    const std::string key = env["source_key"];
    store::Entity e;
    if (!env.contains("record")) {  // a thin tobedeleted row: retire what is stored
      auto existing = tx.get_by_source(*kind, connector, key);
      if (!existing) return existing.status();
      if (!existing->has_value()) return Status::ok();
      e = **existing;
      e.active = false;
      if (*kind == store::Kind::student || *kind == store::Kind::staff) e.doc["status"] = "left";
    } else {
      e.kind = *kind;
      e.doc = env["record"];
      e.id = e.doc["id"];
      e.tenant = e.doc.value("school_id", e.id);
      if (*kind == store::Kind::guardian) e.student_id = e.doc["children"][0]["student_id"];
      e.active = env["active"];
    }
    e.connector = connector;
    e.source_key = key;
    e.source_version = env["source_version"];
    auto r = tx.upsert(e);
    return r ? Status::ok() : r.status();
  });
}

inline void generate(const std::filesystem::path& out, int students, const std::string& version,
                     int delta = 0, const std::filesystem::path& expect = {}) {
  std::filesystem::remove_all(out);
  std::string cmd = "python3 -B " + std::string(SCHAKEL_SOURCE_DIR) + "/scripts/gen-oneroster --out '" +
                    out.string() + "' --students " + std::to_string(students) + " --version " + version;
  if (delta) cmd += " --delta " + std::to_string(delta);
  if (!expect.empty()) cmd += " --expect '" + expect.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

inline json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

class SisHost : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = plugin_dir_.path() / "libschakel_sis_oneroster.so";
    std::filesystem::copy_file(SCHAKEL_SIS_ONEROSTER_PLUGIN, plugin_);
    bundle_ = work_.path() / "bundle";
    store::Options so;
    so.path = work_.path() / "schakel.db";
    so.durable = false;  // the test does not pull the plug
    auto st = store::open_sqlite(so);
    ASSERT_TRUE(st.is_ok()) << st.status().message();
    store_ = std::move(*st);
    TimePoint t;
    ASSERT_TRUE(parse_rfc3339("2026-11-01T09:00:00Z", t));
    clock_ = std::make_unique<ManualClock>(t);
    state_ = plugin_host::store_state_store(*store_);
    plugin_host::HostOptions o = test::plugin_test_options(plugin_dir_.path(), *clock_);
    o.state = state_.get();
    o.quarantine = plugin_host::store_quarantine(*store_);
    o.records = [this](const std::string& c, const std::string& s, const json& r, std::string_view) {
      return import_envelope(*store_, c, s, r);
    };
    o.on_log = [this](const std::string&, int, const std::string& msg) {
      std::lock_guard lock(mu_);
      logs_.push_back(msg);
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(o));
  }
  void TearDown() override { host_.reset(); }

  void add(json extra = json::object(), const std::string& id = "sis") {
    json s = {{"bundle_dir", bundle_.string()}, {"swv_code", "PO2701"}};
    s.update(extra);
    auto st = host_->add_connector({id, plugin_, std::nullopt, s});
    ASSERT_TRUE(st.is_ok()) << st.message();
  }
  plugin_host::CallResult poll(const std::string& id = "sis") { return host_->poll(id).get(); }

  std::vector<store::Entity> all(store::Kind kind, bool include_inactive = true) {
    std::vector<store::Entity> out;
    auto tx = store_->begin(false);
    EXPECT_TRUE(tx.is_ok());
    store::EntityQuery q;
    q.kind = kind;
    q.include_inactive = include_inactive;
    q.limit = 100000;
    auto r = (*tx)->list(q);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    if (r) out = *r;
    return out;
  }
  std::optional<store::Entity> by_key(store::Kind kind, const std::string& key, const std::string& c = "sis") {
    auto tx = store_->begin(false);
    auto r = (*tx)->get_by_source(kind, c, key);
    return r ? *r : std::nullopt;
  }
  std::vector<store::QuarantineRow> quarantined(const std::string& c = "sis") {
    auto tx = store_->begin(false);
    auto r = (*tx)->quarantined(c, 1000);
    return r ? *r : std::vector<store::QuarantineRow>{};
  }

  TempDir plugin_dir_;
  TempDir work_;
  std::filesystem::path plugin_;
  std::filesystem::path bundle_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<plugin_host::StateStore> state_;
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::mutex mu_;
  std::vector<std::string> logs_;
};

}  // namespace schakel::test
