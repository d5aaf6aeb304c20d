#include "audit/audit_writer.hpp"

#include "audit/crypto.hpp"
#include "audit/entry.hpp"

namespace schakel::audit {

Result<std::unique_ptr<AuditWriter>> AuditWriter::open(const AuditWriterOptions& options) {
  if (!options.clock) return error(ErrorCode::invalid, "audit writer: no clock given");
  if (options.checkpoint_every < 1) return error(ErrorCode::invalid, "audit writer: checkpoint_every must be at least 1");
  auto key = load_or_create_signing_key(options.key_dir);
  SCHAKEL_TRY(key);
  auto file = CheckpointFile::open(options.checkpoint_path, std::move(*key));
  SCHAKEL_TRY(file);
  return std::unique_ptr<AuditWriter>(new AuditWriter(options, std::move(*file)));
}

Result<store::AuditRow> AuditWriter::make_row(const AuditEvent& event) {
  if (event.action.empty()) return error(ErrorCode::invalid, "audit entry: action is empty");
  if (event.tenant.empty()) return error(ErrorCode::invalid, "audit entry: tenant is empty");
  store::AuditRow row;
  row.time = event.time == TimePoint{} ? options_.clock->now() : event.time;
  row.tenant = event.tenant;
  row.action = event.action;
  row.outcome = event.outcome;
  row.actor = event.actor;
  row.actor_role = event.actor_role;
  row.on_behalf_of = event.on_behalf_of;
  if (!event.student_id.empty()) {
    auto p = keys_.pseudonym(event.tenant, event.student_id);
    SCHAKEL_TRY(p);
    row.subject = *p;
  }
  row.recipient = event.recipient;
  row.purpose = event.purpose;
  row.processing_activity = event.processing_activity;
  row.categories = event.categories;
  row.consent_ids = event.consent_ids;
  row.payload_sha256 = event.payload ? sha256_hex(*event.payload) : event.payload_sha256;
  row.trace_id = event.trace_id;
  row.reason = event.reason;
  std::string probe;
  if (!append_canonical_entry(row, probe)) {
    return error(ErrorCode::invalid, "audit entry: a field is not valid UTF-8");
  }
  return row;
}

Result<store::AuditRow> AuditWriter::append(store::Transaction& txn, const AuditEvent& event) {
  auto made = make_row(event);
  SCHAKEL_TRY(made);
  SCHAKEL_TRY(chain_and_append(txn, *made));
  return std::move(*made);
}

Status AuditWriter::chain_and_append(store::Transaction& txn, store::AuditRow& row) {
  auto last = txn.audit_head();
  SCHAKEL_TRY(last);
  row.seq = *last ? (*last)->seq + 1 : 1;
  row.prev_hash = *last ? (*last)->hash : std::string(kGenesisHash);
  row.hash = compute_entry_hash(row);
  const std::int64_t expected = row.seq;
  SCHAKEL_TRY(txn.append_audit(row));
  if (row.seq != expected) {
    // The hash covers seq, so the store must number entries exactly as last + 1.
    return error(ErrorCode::internal, "audit: store assigned seq " + std::to_string(row.seq) +
                                          ", expected " + std::to_string(expected));
  }
  return {};
}

Result<store::AuditRow> AuditWriter::append_durable(store::Store& store, const AuditEvent& event) {
  // Pseudonym and payload hash on the caller's thread; only the chaining runs in the batch.
  auto made = make_row(event);
  SCHAKEL_TRY(made);
  store::AuditRow row = std::move(*made);
  const Status committed =
      store.write([&](store::Transaction& txn) -> Status { return chain_and_append(txn, row); });
  SCHAKEL_TRY(committed);
  after_commit(row);
  return row;
}

void AuditWriter::append_async(store::Store& store, const AuditEvent& event, std::function<void(Status)> done) {
  auto made = make_row(event);
  if (!made) {
    done(made.status());
    return;
  }
  auto row = std::make_shared<store::AuditRow>(std::move(*made));
  store.write_async([this, row](store::Transaction& txn) { return chain_and_append(txn, *row); },
                    [this, row, done = std::move(done)](Status committed) {
                      if (committed) after_commit(*row);
                      done(committed);
                    });
}

// The entry is durable now, so it may be checkpointed. A failed checkpoint does not fail the
// append (the entry is committed; a retry would log it twice): it is kept for checkpoint_health
// and retried at the next due append.
void AuditWriter::after_commit(const store::AuditRow& row) {
  if (!due(row.seq)) return;
  Status cp = checkpoint_row(row.seq, row.hash);
  std::lock_guard lock(health_mu_);
  checkpoint_health_ = cp;
}

bool AuditWriter::due(std::int64_t committed_seq) const {
  const std::int64_t last = checkpoints_->last_seq();
  if (committed_seq <= last) return false;
  if (committed_seq - last >= options_.checkpoint_every) return true;
  return options_.clock->now() - checkpoints_->last_time() >= options_.checkpoint_interval;
}

Status AuditWriter::checkpoint_row(std::int64_t seq, const std::string& hash) {
  return checkpoints_->append(seq, hash, options_.clock->now());
}

Status AuditWriter::checkpoint_health() const {
  std::lock_guard lock(health_mu_);
  return checkpoint_health_;
}

Status AuditWriter::checkpoint_if_due(store::Store& store) {
  auto txn = store.begin(false);
  SCHAKEL_TRY(txn);
  auto last = (*txn)->audit_head();
  SCHAKEL_TRY(last);
  if (!*last || !due((*last)->seq)) return {};
  return checkpoint_row((*last)->seq, (*last)->hash);
}

Status AuditWriter::checkpoint_now(store::Store& store) {
  auto txn = store.begin(false);
  SCHAKEL_TRY(txn);
  auto last = (*txn)->audit_head();
  SCHAKEL_TRY(last);
  if (!*last) return {};
  return checkpoint_row((*last)->seq, (*last)->hash);
}

}  // namespace schakel::audit
