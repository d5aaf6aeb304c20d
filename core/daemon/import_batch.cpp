// RecordImporter's batching: entity records written many to a transaction (pipeline.hpp). One
// write per record cost a transaction each, which bounded a bulk SIS import; a batch costs one.
#include "daemon/pipeline.hpp"

#include <algorithm>

namespace schakel::daemon {

using nlohmann::json;

namespace {

// The streams whose records may wait in a batch: those only stored, and queued referrals, whose
// events are kept with them and fire after the batch is written.
std::optional<store::Kind> batched_kind(const std::string& stream) {
  if (stream == "schools") return store::Kind::school;
  if (stream == "students") return store::Kind::student;
  if (stream == "guardians") return store::Kind::guardian;
  if (stream == "staff") return store::Kind::staff;
  if (stream == "queued_referrals") return store::Kind::referral;
  return std::nullopt;
}

}  // namespace

Status RecordImporter::import(const std::string& connector, const std::string& stream, json&& record,
                              std::string_view record_text) {
  const auto kind = batched_kind(stream);
  if (batch_size_ <= 1 || !kind) {
    return import(connector, stream, static_cast<const json&>(record));
  }
  store::Entity e = entity_of(connector, *kind, record);
  if (auto it = record.find("record"); it != record.end()) {
    e.doc = std::move(*it);
    e.doc_text = record_text;
  } else {
    e.doc = std::move(record);
  }
  Pending* pending = &pending_of(connector);
  const bool fires = stream == "queued_referrals" && fire_;
  std::string id = e.id;
  // A kept event of this referral fires first, with the version its own record stored.
  if (fires) SCHAKEL_TRY(fire_kept_for(connector, id));
  pending->entities.push_back(std::move(e));
  // Stored first (the batch is written before its events fire), fired second.
  if (fires) SCHAKEL_TRY(queue_event(connector, {"referral.queued", std::move(id), connector}));
  if (pending->entities.size() < batch_size_) return {};
  // Stored on the store's commit thread; a failure is reported by the next flush, so the cursor
  // does not move past it.
  submit_batch(connector, *pending);
  return {};
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
  // Records stored first, their events fired second, the cursor (after this returns) last.
  (void)fire_events(connector, *pending);
  std::lock_guard lock(pending->mu);
  if (pending->failures == 0) return {};
  Status st(ErrorCode::unavailable, pending->unstored + (pending->failures > 1
                                                              ? " (and " + std::to_string(pending->failures - 1) + " more)"
                                                              : std::string()));
  pending->failures = 0;
  pending->unstored.clear();
  return st;
}

RecordImporter::~RecordImporter() {
  // What the store committed is indexed; a batch that failed is not retried now (its records'
  // cursor did not move, so the next poll offers them again).
  for (auto& [connector, pending] : pending_) {
    std::vector<std::vector<store::Entity>> stored;
    {
      std::unique_lock lock(pending.mu);
      pending.written.wait(lock, [&] { return pending.in_flight == 0; });
      stored.swap(pending.stored);
    }
    for (const auto& batch : stored) (void)index_batch(connector, batch, pending);
  }
}

void RecordImporter::Pending::fail(const std::string& what) {
  std::lock_guard lock(mu);
  if (failures++ == 0) unstored = what;
}

RecordImporter::Pending& RecordImporter::pending_of(const std::string& connector) {
  std::lock_guard lock(pending_mu_);
  return pending_[connector];  // std::map: the reference stays valid
}

void RecordImporter::set_fire(FireEvent fire) {
  if (!fire) {
    fire_ = nullptr;
    return;
  }
  fire_ = [fire = std::move(fire)](const std::vector<ImportEvent>& events) {
    std::vector<Status> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(fire(e.trigger, e.entity_id, e.actor));
    return out;
  };
}

Status RecordImporter::queue_event(const std::string& connector, ImportEvent event) {
  if (!fire_) return {};
  if (batch_size_ <= 1) {
    auto st = fire_({std::move(event)});
    return st.empty() ? error(ErrorCode::internal, "firing an event gave no result") : st.front();
  }
  Pending& pending = pending_of(connector);
  pending.events.push_back(std::move(event));
  if (pending.events.size() < batch_size_) return {};
  // A full batch of events fires now, after the records kept before them are written.
  return fire_events(connector, pending);
}

Status RecordImporter::fire_kept_for(const std::string& connector, const std::string& entity_id) {
  if (batch_size_ <= 1) return {};
  Pending* found = nullptr;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(connector);
    if (it == pending_.end()) return {};
    found = &it->second;  // std::map: the reference stays valid
  }
  Pending& pending = *found;
  const bool hit = std::any_of(pending.events.begin(), pending.events.end(), [&](const ImportEvent& e) {
    return entity_id.empty() || e.entity_id == entity_id;
  });
  return hit ? fire_events(connector, pending) : Status{};
}

Status RecordImporter::fire_events(const std::string& connector, Pending& pending) {
  if (pending.events.empty() || !fire_) return {};
  // The records kept before these events are stored first; a record that fails is reported with
  // the batch, and its event then fires against what the store holds (a repeat queues nothing).
  (void)write_batch(connector, pending);
  std::vector<ImportEvent> events;
  events.swap(pending.events);
  const std::vector<Status> fired = fire_(events);
  Status first = Status::ok();
  for (std::size_t i = 0; i < events.size(); ++i) {
    Status st = i < fired.size() ? fired[i] : error(ErrorCode::internal, "firing gave no result for this event");
    if (st) continue;
    // Reported by flush, so the cursor stays before the record: its repeat fires it again.
    pending.fail(connector + ": " + events[i].trigger + " " + events[i].entity_id + " not fired: " + st.message());
    if (first) first = st;
  }
  return first;
}

Status RecordImporter::write_batch(const std::string& connector, Pending& pending) {
  submit_batch(connector, pending);
  return take_reported(connector, pending, 0);
}

namespace {
// Batches of a connector on their way to the store at once: one committing while the next fills.
constexpr std::size_t k_in_flight = 2;
}  // namespace

void RecordImporter::submit_batch(const std::string& connector, Pending& pending) {
  if (pending.entities.empty()) return;
  (void)take_reported(connector, pending, k_in_flight - 1);  // a failure stays for flush to report
  auto batch = std::make_shared<std::vector<store::Entity>>();
  batch->swap(pending.entities);
  {
    std::lock_guard lock(pending.mu);
    ++pending.in_flight;
  }
  store_.write_async(
      [batch](store::Transaction& tx) -> Status {
        std::map<std::string, std::string> tenants;
        for (auto& e : *batch) SCHAKEL_TRY(store_entity(tx, e, tenants));
        return Status::ok();
      },
      // Quick, as the store asks: the batch goes back to the importer, which indexes or retries it.
      [&pending, batch](const Status& st) {
        std::lock_guard lock(pending.mu);
        (st ? pending.stored : pending.failed).push_back(std::move(*batch));
        --pending.in_flight;
        pending.written.notify_all();  // under the lock: the importer may go once in_flight is 0
      });
}

Status RecordImporter::take_reported(const std::string& connector, Pending& pending, std::size_t in_flight) {
  std::vector<std::vector<store::Entity>> stored, failed;
  {
    std::unique_lock lock(pending.mu);
    pending.written.wait(lock, [&] { return pending.in_flight <= in_flight; });
    stored.swap(pending.stored);
    failed.swap(pending.failed);
  }
  Status first = Status::ok();
  // The consent index follows what is durable.
  for (const auto& batch : stored)
    if (Status ix = index_batch(connector, batch, pending); !ix && first) first = ix;
  // One record failed and took its batch's transaction with it: store each on its own, so only
  // the failing ones are left out (and reported).
  for (auto& batch : failed) {
    std::vector<char> kept(batch.size(), 1);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& e = batch[i];
      Status one = store_.write([&](store::Transaction& tx) -> Status {
        std::map<std::string, std::string> tenants;
        return store_entity(tx, e, tenants);
      });
      if (one) continue;
      pending.fail(connector + ": " + std::string(store::kind_name(e.kind)) + " " + e.source_key + ": " + one.message());
      if (first) first = one;
      kept[i] = 0;  // kept out of the consent index
    }
    if (Status ix = index_batch(connector, batch, pending, &kept); !ix && first) first = ix;
  }
  return first;
}

Status RecordImporter::index_batch(const std::string& connector, const std::vector<store::Entity>& batch,
                                   Pending& pending, const std::vector<char>* stored) {
  Status first = Status::ok();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (stored && !(*stored)[i]) continue;
    const auto& e = batch[i];
    if (Status ix = index_entity(e); !ix) {
      pending.fail(connector + ": " + e.source_key + ": " + ix.message());
      if (first) first = ix;
    }
  }
  return first;
}

RecordImporter::FireEvents fire_all_through(routing::Router& router) {
  return [&router](const std::vector<RecordImporter::ImportEvent>& events) {
    std::vector<routing::Event> batch;
    batch.reserve(events.size());
    for (const auto& e : events) batch.push_back({e.trigger, e.entity_id, "", "", "", e.actor, ""});
    std::vector<Status> out;
    out.reserve(events.size());
    for (auto& r : router.fire_all(batch)) out.push_back(r.status());
    return out;
  };
}

}  // namespace schakel::daemon
