#pragma once
// The referral-portal plugin loaded by the real plugin host, against the real portal simulator.
// One simulator per test binary, reset before every test; a host and a manual clock per test.
#include "support/plugin_test_options.hpp"
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "plugin_host/plugin_host.hpp"
#include "portal_sim.hpp"
#include "support/temp_dir.hpp"

namespace schakel::test {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using plugin_host::CallCode;
using plugin_host::CallResult;

inline const std::string k_portal_secret = "portal-test-secret-7f3a9c";

// The gated projection of a referral with every category permitted.
inline json full_projection() {
  return json::parse(R"({
    "kind": "aanmelding",
    "referral": {"id": "ref-2026-0042", "school_id": "sch-1", "student_id": "stu-7", "case_id": "case-3",
      "type": "arrangement", "question": "Hoe helpen we Daan bij rekenen en concentratie?",
      "requested_support": "Ondersteuning in de klas, 4 uur per week",
      "education_needs": ["instructie in kleine stappen", "visuele ondersteuning"],
      "hindering_factors": ["korte concentratie"], "supporting_factors": ["sterk in rekenen"],
      "parent_view": "Ouders steunen de aanvraag.", "child_view": "Ik wil rustiger kunnen werken.",
      "family": "Co-ouderschap, week op week af.", "health": "ADHD vastgesteld in 2025.",
      "attachments": [{"id": "att-1", "soort": "groeidocument", "naam": "groeidocument.pdf",
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "category": "case", "size_bytes": 12345}],
      "status": "queued", "version": 3},
    "student": {"id": "stu-7", "school_id": "sch-1", "las_key": "LAS-1234", "bsn": "123456782",
      "naam": {"voornamen": "Daan Pieter", "roepnaam": "Daan", "voorvoegsel": "van der", "achternaam": "Berg"},
      "birth_date": "2016-05-14", "gender": "male", "groep": "5B", "jaargroep": 5, "status": "active"},
    "school": {"id": "sch-1", "brin": "12AB", "vestiging": "00", "naam": "De Regenboog", "swv_code": "PO2701"},
    "consent": {"id": "con-9", "granted_by": [{"kind": "guardian", "relation": "parent"},
      {"kind": "guardian", "relation": "parent"}], "date": "2026-02-20", "purposes": ["swv_request"]},
    "contact_person": {"role": "ib", "name": "M. de Vries", "email": "ib@regenboog.example"}
  })");
}

// A minimal valid projection for referral `id` (for tests about transport, not mapping).
inline std::string projection_for(const std::string& id) {
  json d = full_projection();
  d["referral"]["id"] = id;
  return d.dump();
}

class PortalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim_dir_ = new TempDir();
    sim_ = new PortalSim(sim_dir_->path(), k_portal_secret);
  }
  static void TearDownTestSuite() {
    const std::string log = sim_->log();
    EXPECT_EQ(log.find(k_portal_secret), std::string::npos) << "the secret is in the simulator's log";
    delete sim_;
    delete sim_dir_;
  }

  void SetUp() override {
    sim_->post("/reset");
    plugin_ = plugin_dir_.path() / "libschakel_referral_portal.so";
    std::filesystem::copy_file(SCHAKEL_REFERRAL_PORTAL_PLUGIN, plugin_);
    TimePoint t;
    ASSERT_TRUE(parse_rfc3339("2026-03-04T09:15:00Z", t));
    clock_ = std::make_unique<ManualClock>(t);
    state_ = plugin_host::memory_state_store();
    plugin_host::HostOptions o = test::plugin_test_options(plugin_dir_.path(), *clock_);
    o.state = state_.get();
    o.records = [this](const std::string&, const std::string& stream, const json& record, std::string_view) {
      std::lock_guard lock(mu_);
      if (records_fail_after_ && records_.size() >= *records_fail_after_)
        return error(ErrorCode::unavailable, "store unavailable (test)");
      records_.push_back({stream, record});
      return Status::ok();
    };
    o.on_log = [this](const std::string&, int, const std::string& msg) {
      std::lock_guard lock(mu_);
      logs_.push_back(msg);
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(o));
  }
  void TearDown() override {
    host_.reset();
    std::lock_guard lock(mu_);
    for (const auto& l : logs_) EXPECT_EQ(l.find(k_portal_secret), std::string::npos) << "secret in a log line";
  }

  static json settings() {
    return {{"base_url", sim_->base_url()}, {"client_id", PortalSim::k_client_id},
            {"client_secret", k_portal_secret}, {"ca_file", sim_->ca_file()},
            {"read_timeout_ms", 5000}, {"total_timeout_ms", 20000}};
  }
  Status add(const json& s = settings(), const std::string& id = "portal") {
    return host_->add_connector({id, plugin_, std::nullopt, s});
  }
  CallResult deliver(const std::string& doc, const std::string& key) {
    return host_->deliver("portal", doc, key).get();
  }
  // Delivers projection_for(id) and returns the portal id from the receipt.
  std::string submit(const std::string& id) {
    const CallResult r = deliver(projection_for(id), "route-swv/" + id + "/v1");
    EXPECT_EQ(r.code, CallCode::ok) << r.message;
    return json::parse(r.receipt_json.empty() ? "{}" : r.receipt_json).value("portal_id", "");
  }
  std::vector<json> records() {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const auto& [stream, r] : records_) {
      EXPECT_EQ(stream, "referral_status");
      out.push_back(r);
    }
    return out;
  }
  static std::string body_of(const json& request) {
    const std::string b64 = request["body_base64"];
    std::string out(b64.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    out.resize(static_cast<std::size_t>(n) - static_cast<std::size_t>(std::count(b64.begin(), b64.end(), '=')));
    return out;
  }
  static void expect_no_secret(const CallResult& r) {
    EXPECT_EQ(r.message.find(k_portal_secret), std::string::npos) << "the secret leaked into an error";
  }

  inline static TempDir* sim_dir_ = nullptr;
  inline static PortalSim* sim_ = nullptr;
  TempDir plugin_dir_;
  std::filesystem::path plugin_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<plugin_host::StateStore> state_;
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::mutex mu_;
  std::vector<std::pair<std::string, json>> records_;
  std::optional<std::size_t> records_fail_after_;  // the record sink fails once it holds this many
  std::vector<std::string> logs_;
};

}  // namespace schakel::test
