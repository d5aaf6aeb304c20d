// RecordImporter's batching: entity records written many to a transaction (pipeline.hpp). One
// write per record cost a transaction each, which bounded a bulk SIS import; a batch costs one.
#include "daemon/pipeline.hpp"

namespace schakel::daemon {

using nlohmann::json;

namespace {

// The streams whose records are only stored: nothing fires on them, so they may wait in a batch.
std::optional<store::Kind> batched_kind(const std::string& stream) {
  if (stream == "schools") return store::Kind::school;
  if (stream == "students") return store::Kind::student;
  if (stream == "guardians") return store::Kind::guardian;
  if (stream == "staff") return store::Kind::staff;
  return std::nullopt;
}

}  // namespace

Status RecordImporter::import(const std::string& connector, const std::string& stream, json&& record) {
  const auto kind = batched_kind(stream);
  if (batch_size_ <= 1 || !kind) {
    return import(connector, stream, static_cast<const json&>(record));
  }
  store::Entity e = entity_of(connector, *kind, record);
  if (auto it = record.find("record"); it != record.end()) e.doc = std::move(*it);
  else e.doc = std::move(record);
  Pending* pending = nullptr;
  {
    std::lock_guard lock(pending_mu_);
    pending = &pending_[connector];  // std::map: the reference stays valid
  }
  pending->entities.push_back(std::move(e));
  if (pending->entities.size() < batch_size_) return {};
  // A failure here is reported by the next flush too, so the cursor does not move past it.
  return write_batch(connector, *pending);
}

Status RecordImporter::store_pending(const std::string& connector) {
  if (batch_size_ <= 1) return {};
  std::unique_lock lock(pending_mu_);
  auto it = pending_.find(connector);
  lock.unlock();
  // A failure stays in the batch's record for the host's flush to report as well.
  return it == pending_.end() ? Status{} : write_batch(connector, it->second);
}

Status RecordImporter::flush(const std::string& connector) {
  Pending* pending = nullptr;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(connector);
    if (it == pending_.end()) return {};
    pending = &it->second;
  }
  (void)write_batch(connector, *pending);
  if (pending->failures == 0) return {};
  Status st(ErrorCode::unavailable, pending->unstored + (pending->failures > 1
                                                              ? " (and " + std::to_string(pending->failures - 1) + " more)"
                                                              : std::string()));
  pending->failures = 0;
  pending->unstored.clear();
  return st;
}

Status RecordImporter::write_batch(const std::string& connector, Pending& pending) {
  if (pending.entities.empty()) return {};
  std::vector<store::Entity> batch;
  batch.swap(pending.entities);
  Status st = store_.write([&](store::Transaction& tx) -> Status {
    std::map<std::string, std::string> tenants;
    for (auto& e : batch) SCHAKEL_TRY(store_entity(tx, e, tenants));
    return Status::ok();
  });
  Status first = Status::ok();
  std::vector<char> stored(batch.size(), 1);
  if (!st) {
    // One record failed and took the batch's transaction with it: store each on its own, so
    // only the failing ones are left out (and reported).
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& e = batch[i];
      Status one = store_.write([&](store::Transaction& tx) -> Status {
        std::map<std::string, std::string> tenants;
        return store_entity(tx, e, tenants);
      });
      if (!one) {
        if (pending.failures++ == 0)
          pending.unstored = connector + ": " + std::string(store::kind_name(e.kind)) + " " + e.source_key + ": " + one.message();
        if (first) first = one;
        stored[i] = 0;  // kept out of the consent index below
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!stored[i]) continue;
    const auto& e = batch[i];
    if (Status ix = index_entity(e); !ix) {
      if (pending.failures++ == 0) pending.unstored = connector + ": " + e.source_key + ": " + ix.message();
      if (first) first = ix;
    }
  }
  return first;
}

}  // namespace schakel::daemon
