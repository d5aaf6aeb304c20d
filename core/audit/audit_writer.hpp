#pragma once
// Appends audit entries (DESIGN section 5) inside the caller's transaction, so an entry commits
// with the state change it records, or through the store's group commit for a durable append on
// its own. prev_hash is read from the store inside the transaction (audit_head), never from a
// cache, so concurrent group-committed appends chain in commit order.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/pseudonym.hpp"
#include "base/clock.hpp"
#include "store/store.hpp"

namespace schakel::audit {

// What happened, as the caller knows it. The writer turns it into an AuditRow: the student id
// becomes a pseudonym and the payload its SHA-256; neither is stored.
struct AuditEvent {
  TimePoint time{};  // zero: the writer's clock
  std::string tenant;
  std::string action;   // disclose, import, read, export, consent.record, audit.read, ...
  std::string outcome;  // permitted, redacted, blocked, delivered, failed, dead, dropped, ok
  std::string actor;
  std::string actor_role;
  std::string on_behalf_of;
  std::string student_id;  // empty: the entry concerns no student
  std::string recipient;   // encode_recipient({organisation, role, name}) for disclosures
  std::string purpose;
  std::string processing_activity;
  std::vector<std::string> categories;
  std::vector<std::string> consent_ids;
  std::optional<std::string> payload;  // hashed, never kept
  std::string payload_sha256;          // when the caller already holds the hash
  std::string trace_id;
  std::string reason;
};

struct AuditWriterOptions {
  std::filesystem::path key_dir;          // tenant keys and the signing key
  std::filesystem::path checkpoint_path;  // the checkpoint file
  std::int64_t checkpoint_every = 1000;   // entries
  std::chrono::seconds checkpoint_interval{60};
  const Clock* clock = nullptr;  // required
};

class AuditWriter {
 public:
  static Result<std::unique_ptr<AuditWriter>> open(const AuditWriterOptions& options);

  // Appends within `txn`; the entry is durable when the caller commits. Call checkpoint_if_due
  // after that commit (or leave it to the next append_durable or a timer).
  Result<store::AuditRow> append(store::Transaction& txn, const AuditEvent& event);
  // Appends through Store::write (group commit) and returns once the entry is durable.
  Result<store::AuditRow> append_durable(store::Store& store, const AuditEvent& event);
  // The same without a thread waiting (Store::write_async): `done` gets the outcome once the
  // entry is durable, on the store's commit thread.
  void append_async(store::Store& store, const AuditEvent& event, std::function<void(Status)> done);

  // Writes a checkpoint for the last committed entry when N entries or T seconds have passed.
  Status checkpoint_if_due(store::Store& store);
  // Writes one now for the last committed entry (no-op when it is already checkpointed).
  Status checkpoint_now(store::Store& store);

  // The outcome of the last checkpoint attempted by append_durable (ok when none failed).
  [[nodiscard]] Status checkpoint_health() const;

  TenantKeys& keys() { return keys_; }
  [[nodiscard]] const Clock& clock() const { return *options_.clock; }

 private:
  AuditWriter(AuditWriterOptions options, std::unique_ptr<CheckpointFile> checkpoints)
      : options_(std::move(options)), keys_(options_.key_dir), checkpoints_(std::move(checkpoints)) {}
  Result<store::AuditRow> make_row(const AuditEvent& event);
  Status chain_and_append(store::Transaction& txn, store::AuditRow& row);
  void after_commit(const store::AuditRow& row);
  [[nodiscard]] bool due(std::int64_t committed_seq) const;
  Status checkpoint_row(std::int64_t seq, const std::string& hash);

  AuditWriterOptions options_;
  TenantKeys keys_;
  std::unique_ptr<CheckpointFile> checkpoints_;
  mutable std::mutex health_mu_;
  Status checkpoint_health_;
};

}  // namespace schakel::audit
