#pragma once
// The data path's real parts behind the outbox's seams: the consent gate (core/consent) as
// outbox::Gate, the audit log (core/audit) as outbox::AuditSink, a sink plugin behind the plugin
// host as outbox::Destination, and the import of records that source plugins emit.
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_writer.hpp"
#include "consent/consent_index.hpp"
#include "consent/redaction.hpp"
#include "outbox/seams.hpp"
#include "plugin_host/plugin_host.hpp"
#include "routing/router.hpp"
#include "schema/schema_set.hpp"

namespace schakel::daemon {

// The consent index with the lock that lets decisions run concurrently with changes. It holds the
// students with a consent and up to `other_students` more, and reads any other student from the
// store when a decision first needs it (ConsentIndex::hold_some).
class ConsentService {
 public:
  static constexpr std::size_t k_other_students = 20000;  // about 5 MB
  Status load(store::Store& store, std::size_t other_students = k_other_students);
  [[nodiscard]] consent::Decision decide(const std::string& student_id, const consent::Recipient& recipient,
                                         const std::string& purpose, const std::vector<std::string>& categories,
                                         TimePoint at, const std::string& legal_basis) const;
  // Runs `change` with the index held exclusively (record, withdraw, apply_student, ...).
  template <typename F>
  auto change(F&& f) {
    std::unique_lock lock(mu_);
    return f(index_);
  }

 private:
  mutable std::shared_mutex mu_;
  mutable consent::ConsentIndex index_;  // a decision may admit a student: what it holds, not what it says
};

class ConsentGate final : public outbox::Gate {
 public:
  ConsentGate(const ConsentService& consent, const schema::SchemaSet& schemas, const plugin_host::PluginHost& host);
  Result<outbox::GateResult> decide(const outbox::RouteSpec& route, const std::string& tenant,
                                    const std::string& student_id, const std::string& schema_name,
                                    const nlohmann::json& doc, TimePoint at) override;

 private:
  // The category paths of a document of `schema_name`; a projection ("projection/<kind>") holds
  // one member per part, each named by its schema.
  std::vector<schema::CategoryPath> paths_for(const std::string& schema_name, const nlohmann::json& doc) const;
  // The category tree of those paths, built once per schema (and per set of projection members)
  // and shared by the threads that decide: building it cost more than walking a document.
  std::shared_ptr<const consent::CategoryTree> tree_for(const std::string& schema_name, const nlohmann::json& doc);
  const std::vector<std::string>& required_for(const std::string& connector);
  outbox::GateResult decide_calendar(const outbox::RouteSpec& route, const nlohmann::json& doc, TimePoint at) const;

  const ConsentService& consent_;
  const schema::SchemaSet& schemas_;
  const plugin_host::PluginHost& host_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> required_;  // per connector, from its manifest
  std::shared_mutex trees_mu_;
  std::map<std::string, std::shared_ptr<const consent::CategoryTree>, std::less<>> trees_;
};

class AuditLogSink final : public outbox::AuditSink {
 public:
  explicit AuditLogSink(audit::AuditWriter& writer) : writer_(writer) {}
  Status append(store::Transaction& tx, const outbox::AuditEvent& event) override;

 private:
  audit::AuditWriter& writer_;
};

class PluginDestination final : public outbox::Destination {
 public:
  PluginDestination(plugin_host::PluginHost& host, std::string connector, bool can_revoke)
      : host_(host), connector_(std::move(connector)), can_revoke_(can_revoke) {}
  outbox::DeliveryResult deliver(const std::string& bytes, const std::string& key) override;
  outbox::DeliveryResult revoke(const nlohmann::json& receipt, const std::string& reason,
                                const std::string& key) override;
  [[nodiscard]] bool can_revoke() const override { return can_revoke_; }

 private:
  plugin_host::PluginHost& host_;
  std::string connector_;
  bool can_revoke_;
};

// Stores what source plugins emit. Entity streams ("schools", "students", "guardians", "staff")
// carry {source_key, source_version, source, active, record}; they are upserted by (connector,
// source key) so an older version never replaces a newer one. The stream "referral_status"
// carries the SWV portal's status changes; they update the referral and are audited as an import.
// The stream "meetings" carries meetings imported from a school's calendar feed;
// "calendar_reply" the recipients' answers read back from their calendars.
// The stream "queued_referrals" carries referrals a source reports as queued: each is stored like
// an entity, then the explicit event referral.queued is fired for it.
class RecordImporter {
 public:
  // An explicit event an import causes (referral.queued, meeting.changed, ...), on behalf of `actor`.
  struct ImportEvent {
    std::string trigger;
    std::string entity_id;
    std::string actor;
  };
  // Fires the routes of an explicit event (the Router's fire), on behalf of `actor`.
  using FireEvent = std::function<Status(const std::string& trigger, const std::string& entity_id,
                                         const std::string& actor)>;
  // Fires many events at once (the Router's fire_all): one status per event, in order.
  using FireEvents = std::function<std::vector<Status>(const std::vector<ImportEvent>& events)>;
  RecordImporter(store::Store& store, audit::AuditWriter& audit, ConsentService& consent, const Clock& clock)
      : store_(store), audit_(audit), consent_(consent), clock_(clock) {}
  Status import(const std::string& connector, const std::string& stream, const nlohmann::json& record);
  // The same; with batching on, an entity record is kept (moved from) until its batch is written,
  // with `record_text` (its "record" member as json_text writes it, or empty), which the store
  // then writes instead of writing the member out again.
  Status import(const std::string& connector, const std::string& stream, nlohmann::json&& record,
                std::string_view record_text = {});
  // Set once the routes are built, before any poll runs. With batching on (set_batch_size), the
  // events of a batch are kept until the connector's flush and fired with one call: one group
  // commit for their audit entries and outbox rows, not one per event.
  void set_fire_all(FireEvents fire) { fire_ = std::move(fire); }
  // The same, one event per call.
  void set_fire(FireEvent fire);

  // Batching (import_batch.cpp): records of the plain entity streams (schools, students,
  // guardians, staff) are kept per connector and written `n` at a time in one transaction; 1
  // (the default) writes each one before import returns. A record of any other stream writes the
  // connector's kept records first, so the order holds. The events imports cause are kept too, up
  // to `n`, and fired after the records are stored. The plugin host calls flush (its RecordFlush)
  // before a cursor moves and when a plugin call returns: it stores the kept records, then fires
  // the kept events, and reports, once, the records of the connector that could not be stored and
  // the events that could not be fired since the last flush. So a cursor moves only past records
  // whose events are queued: a crash before repeats them, and their idempotency keys queue nothing twice.
  // A full batch is handed to the store's commit thread (Store::write_async) and import returns at
  // once, so the host goes on validating while the batch commits; at most two batches of a
  // connector are on their way. Whatever needs them stored (a record of another stream, an event,
  // flush) waits for them first, and a batch whose transaction failed is then stored one record
  // at a time, so only the failing records are left out and flush reports them. A committed batch
  // enters the consent index when the importer next submits or waits (at the latest at flush).
  void set_batch_size(std::size_t n) { batch_size_ = n == 0 ? 1 : n; }
  // The daemon's batch (runtime.cpp; the benchmarks use it too): a SIS sync emits hundreds of
  // thousands of records, and each transaction rewrites the index pages it touched, so 2,000 per
  // transaction cost less than 500 (about 8% of a 100,000-student import's wall time) for a few MB.
  static constexpr std::size_t k_daemon_batch = 2000;
  Status flush(const std::string& connector);
  // Waits for the batches still on their way to the store.
  ~RecordImporter();

 private:
  struct Pending {
    std::vector<store::Entity> entities;
    std::vector<ImportEvent> events;  // fired after the records before them are stored
    // Below: shared with the store's commit thread.
    std::mutex mu;
    std::condition_variable written;
    std::size_t in_flight = 0;  // batches handed to the store, not yet reported back
    std::vector<std::vector<store::Entity>> stored;  // committed, not yet in the consent index
    std::vector<std::vector<store::Entity>> failed;  // batches whose transaction failed
    std::string unstored;  // the first failure since the last flush, with a count
    std::size_t failures = 0;
    void fail(const std::string& what);
  };
  Status import_entity(const std::string& connector, const std::string& stream, const nlohmann::json& envelope);
  store::Entity entity_of(const std::string& connector, store::Kind kind, const nlohmann::json& envelope) const;
  // Upserts `e` with its school's tenant; `tenants` caches the schools looked up in this transaction.
  static Status store_entity(store::Transaction& tx, store::Entity& e, std::map<std::string, std::string>& tenants);
  // The consent index follows what is durable.
  Status index_entity(const store::Entity& e);
  // Stores the kept records and waits until every batch of the connector is stored (or reported).
  Status write_batch(const std::string& connector, Pending& pending);
  // Hands the kept records to the store's commit thread.
  void submit_batch(const std::string& connector, Pending& pending);
  // Waits until at most `in_flight` batches are on their way, then indexes the committed ones and
  // stores the failed ones record by record, on the importer's thread (the commit thread only
  // hands them back). Returns the first failure.
  Status take_reported(const std::string& connector, Pending& pending, std::size_t in_flight);
  // Indexes the stored records of a batch; false from `stored` leaves one out.
  Status index_batch(const std::string& connector, const std::vector<store::Entity>& batch, Pending& pending,
                     const std::vector<char>* stored = nullptr);
  // Writes the connector's kept records now (before a record that is not batched).
  Status store_pending(const std::string& connector);
  Pending& pending_of(const std::string& connector);
  // Fires `event` now (no batching) or keeps it for the connector's next flush (or full batch).
  Status queue_event(const std::string& connector, ImportEvent event);
  // Fires the connector's kept events first when one concerns `entity_id` (empty: any), so each
  // event projects the entity as its own import left it, not as a later record changed it.
  Status fire_kept_for(const std::string& connector, const std::string& entity_id);
  // Fires the kept events with one call; failures are kept for flush to report.
  Status fire_events(const std::string& connector, Pending& pending);
  Status import_referral_status(const std::string& connector, const nlohmann::json& status);
  // A meeting from a calendar feed (stream "meetings"), owned by that connector; fires
  // meeting.planned, meeting.changed or meeting.cancelled so its copies follow.
  Status import_meeting(const std::string& connector, const nlohmann::json& meeting);
  // A recipient's PARTSTAT read back from their calendar (stream "calendar_reply"): kept on the
  // meeting, the latest per attendee, and audited as an import.
  Status import_calendar_reply(const std::string& connector, const nlohmann::json& reply);

  store::Store& store_;
  audit::AuditWriter& audit_;
  ConsentService& consent_;
  const Clock& clock_;
  FireEvents fire_;
  std::size_t batch_size_ = 1;
  std::mutex pending_mu_;  // guards the map; a connector's calls never overlap
  std::map<std::string, Pending> pending_;
};

// The daemon's batch form of firing: the events of an import batch go to `router`.fire_all
// together (one read transaction for their decisions, one group commit for what they write).
RecordImporter::FireEvents fire_all_through(routing::Router& router);

}  // namespace schakel::daemon
