#pragma once
// Test doubles of the outbox's own seams (Gate, AuditSink, Destination). These stand in for
// modules of this project built on other branches, not for external systems; the store is real.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "outbox/seams.hpp"
#include "store/store.hpp"

namespace schakel::test {

// Categories by member of a projection: enough to exercise permit, redact and block.
class TestGate final : public outbox::Gate {
 public:
  void deny(const std::string& category) {
    std::lock_guard lock(mu_);
    denied_.insert(category);
  }
  void allow_all() {
    std::lock_guard lock(mu_);
    denied_.clear();
  }
  int calls() const { return calls_.load(); }

  Result<outbox::GateResult> decide(const outbox::RouteSpec& route, const std::string& /*tenant*/,
                                    const std::string& /*student_id*/,
                                    const std::string& /*schema_name*/, const nlohmann::json& doc,
                                    TimePoint /*at*/) override {
    ++calls_;
    std::lock_guard lock(mu_);
    outbox::GateResult r;
    r.document = nlohmann::json::object();
    r.consent_ids = {"con_0001"};
    for (const auto& [member, value] : doc.items()) {
      const std::string category = category_of(member);
      if (category.empty() || !denied_.count(category)) {
        r.document[member] = value;
        if (!category.empty()) r.categories.push_back(category);
      } else {
        r.denied.push_back(category);
        r.reasons.push_back("no consent for category " + category);
      }
    }
    if (r.denied.empty()) {
      r.outcome = outbox::GateOutcome::permitted;
    } else if (route.denied == outbox::DeniedPolicy::block) {
      r.outcome = outbox::GateOutcome::blocked;
      r.document = nlohmann::json::object();
      r.categories.clear();
    } else {
      r.outcome = outbox::GateOutcome::redacted;
    }
    return r;
  }

  static std::string category_of(const std::string& member) {
    if (member == "student") return "identity";
    if (member == "referral" || member == "case") return "case";
    if (member == "meeting") return "meeting";
    return "";  // school: no personal data
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> denied_;
  std::atomic<int> calls_{0};
};

// Appends plain rows (no hash chain: that is the audit module's job) and can be made to fail.
class TestAuditSink final : public outbox::AuditSink {
 public:
  std::atomic<bool> fail{false};

  Status append(store::Transaction& tx, const outbox::AuditEvent& e) override {
    if (fail.load()) return {ErrorCode::io, "audit log unavailable (test)"};
    store::AuditRow row;
    row.time = TimePoint{};
    row.tenant = e.tenant;
    row.action = e.action;
    row.outcome = e.outcome;
    row.actor = e.actor;
    row.actor_role = e.actor_role;
    row.on_behalf_of = e.on_behalf_of;
    row.subject = e.student_id;  // a pseudonym in the real audit module
    row.recipient = e.recipient.dump();
    row.purpose = e.purpose;
    row.processing_activity = e.processing_activity;
    row.categories = e.categories;
    row.consent_ids = e.consent_ids;
    row.payload_sha256 = e.payload_sha256;
    row.trace_id = e.trace_id;
    row.reason = e.reason + (e.outbox_id ? " [outbox " + std::to_string(e.outbox_id) + "]" : "");
    return tx.append_audit(row);
  }
};

// A destination whose answer per call is scripted, recording every call and how many overlap.
class TestDestination final : public outbox::Destination {
 public:
  struct Call {
    std::string key;
    std::string bytes;
    bool revoke = false;
    nlohmann::json receipt;
    std::string reason;
  };
  using Script = std::function<outbox::DeliveryResult(const std::string& key, int call_for_key)>;

  explicit TestDestination(bool can_revoke = true) : can_revoke_(can_revoke) {}
  void script(Script s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  // Each call waits (up to 5 s) until `n` calls are in progress at once, so a test can see the
  // concurrency limit reached; after it was reached once, calls no longer wait.
  void hold_until_concurrent(int n) { hold_for_ = n; }

  outbox::DeliveryResult deliver(const std::string& bytes, const std::string& key) override {
    return record({key, bytes, false, {}, {}});
  }
  outbox::DeliveryResult revoke(const nlohmann::json& receipt, const std::string& reason,
                                const std::string& key) override {
    return record({key, "", true, receipt, reason});
  }
  bool can_revoke() const override { return can_revoke_; }

  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int max_concurrent() const { return max_concurrent_.load(); }
  bool reached() const { return reached_.load(); }

 private:
  outbox::DeliveryResult record(Call call) {
    std::unique_lock lock(mu_);
    calls_.push_back(call);
    const int n = ++per_key_[call.key + (call.revoke ? "#revoke" : "")];
    const int now = ++concurrent_;
    max_concurrent_ = std::max(max_concurrent_.load(), now);
    if (hold_for_ > 0 && !reached_) {
      if (now >= hold_for_) {
        reached_ = true;
        cv_.notify_all();
      } else {
        cv_.wait_for(lock, std::chrono::seconds(5), [&] { return reached_.load(); });
      }
    }
    Script s = script_;
    lock.unlock();
    outbox::DeliveryResult r;
    if (s) {
      r = s(call.key, n);
    } else {
      r.receipt = {{"reference", "ref-" + call.key}};
    }
    lock.lock();
    --concurrent_;
    return r;
  }

  bool can_revoke_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Script script_;
  std::vector<Call> calls_;
  std::map<std::string, int> per_key_;
  int concurrent_ = 0;
  std::atomic<int> max_concurrent_{0};
  int hold_for_ = 0;
  std::atomic<bool> reached_{false};
};

}  // namespace schakel::test
