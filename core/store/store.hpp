#pragma once
// The store interface. SQLite (WAL) is the embedded default; a PostgreSQL implementation can
// follow (DESIGN section 10), so nothing here names SQLite: values cross as strings, integers,
// JSON and TimePoints.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::store {

// The entity kinds, each in a table of its own.
enum class Kind { school, student, guardian, staff, case_, consent, referral, meeting };
const char* kind_name(Kind kind);  // "school", "student", ..., "case", ...
std::optional<Kind> kind_from_name(const std::string& name);

struct Entity {
  Kind kind = Kind::student;
  std::string id;              // the hub's id
  std::string tenant;          // the school (BRIN + vestiging) the entity belongs to
  std::string student_id;      // for guardian, case, consent, referral: the student it concerns
  std::string connector;       // source connector; empty when recorded through Schakel itself
  std::string source_key;      // the key in the source system (e.g. the LAS key)
  std::string source_version;  // orders versions from a source: RFC 3339 UTC or zero-padded counter
  bool active = true;          // false: left / deleted at the source, kept for retention
  nlohmann::json doc;          // the document, valid against the entity's schema
  TimePoint updated_at{};
  // doc written as json_text writes it, when whoever made the entity has that text already (an
  // import from a plugin that writes canonical JSON): upsert stores it as it is. Empty: upsert
  // writes doc. Reads leave it empty.
  std::string doc_text{};
};

enum class UpsertOutcome { inserted, updated, unchanged, stale };

struct EntityQuery {
  Kind kind = Kind::student;
  std::optional<std::string> tenant;
  std::optional<std::string> student_id;
  std::optional<std::string> connector;
  bool include_inactive = false;
  std::string after_id;  // paging: ids greater than this
  int limit = 1000;
};

// One audit entry as stored, one column per field (DESIGN section 5). The audit module computes
// the hashes; the store keeps the fields and the order.
struct AuditRow {
  std::int64_t seq = 0;  // assigned by the store on append, 1, 2, 3, ...
  TimePoint time{};
  std::string tenant;
  std::string action;
  std::string outcome;
  std::string actor;
  std::string actor_role;
  std::string on_behalf_of;
  std::string subject;  // keyed pseudonym of the student, never the id
  std::string recipient;
  std::string purpose;
  std::string processing_activity;
  std::vector<std::string> categories;
  std::vector<std::string> consent_ids;
  std::string payload_sha256;
  std::string trace_id;
  std::string reason;
  std::string prev_hash;
  std::string hash;
};

struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
};

struct AuditQuery {
  std::optional<std::string> tenant;
  std::optional<std::string> subject;
  std::optional<std::string> recipient;
  std::optional<std::string> purpose;
  std::optional<std::string> action;
  std::optional<std::string> outcome;
  std::optional<TimePoint> from;
  std::optional<TimePoint> until;
  std::int64_t after_seq = 0;  // paging
  int limit = 100;
};

// A record a source plugin emitted that did not fit its stream's schema, kept for review.
struct QuarantineRow {
  std::int64_t id = 0;
  std::string connector;
  std::string stream;
  std::string source;  // file:line or URL, when known
  std::string reason;
  std::string record;  // the record as received
  TimePoint time{};
};

// The outbox (DESIGN section 7): one row per disclosure or revocation waiting for, or done with,
// delivery. `document` holds exactly the bytes that are sent, on every attempt.
enum class OutboxState { pending, in_flight, delivered, dead, dropped };
const char* outbox_state_name(OutboxState state);  // "pending", "in_flight", ...
std::optional<OutboxState> outbox_state_from_name(const std::string& name);

struct OutboxItem {
  std::int64_t id = 0;                 // assigned on enqueue
  std::string route_id;
  std::string connector;               // the destination
  std::string kind = "delivery";       // "delivery" or "revocation"
  std::string idempotency_key;         // unique; goes to the destination with every attempt
  std::string tenant;
  std::string student_id;              // empty when the document concerns no single student
  std::string purpose;
  nlohmann::json recipient = nlohmann::json::object();  // {organisation, role, name}
  std::vector<std::string> categories;  // the categories in `document`
  std::vector<std::string> consent_ids;
  std::string document;                // the bytes sent
  std::string schema_name;             // what `document` is, for the re-check at delivery
  nlohmann::json route = nlohmann::json::object();  // the route as it was when the item was made
  std::string trace_id;
  std::int64_t revokes_id = 0;         // a revocation: the delivered item it revokes
  OutboxState state = OutboxState::pending;
  int attempts = 0;
  TimePoint next_attempt_at{};
  TimePoint created_at{};
  std::optional<TimePoint> delivered_at;
  std::optional<std::string> receipt;  // the destination's receipt (JSON text), once delivered
  std::string last_error;              // the last failure, or why the item is dead or dropped
};

struct OutboxQuery {
  std::optional<OutboxState> state;
  std::optional<std::string> connector;
  std::optional<std::string> student_id;
  std::int64_t after_id = 0;  // paging: ids greater than this
  int limit = 100;
};

struct EnqueueOutcome {
  OutboxItem item;     // the stored row (the earlier one when the key was already queued)
  bool inserted = false;
};

// An admin API bearer token as stored: the SHA-256 of the secret, never the secret itself.
struct ApiTokenRow {
  std::string id;
  std::string token_sha256;          // lower-case hex
  std::string role;                  // admin, staff, privacy_officer, operator
  std::vector<std::string> schools;  // BRIN codes the token may see
  TimePoint created_at{};
  TimePoint expires_at{};
  std::optional<TimePoint> revoked_at;
  std::string created_by;  // id of the token that created it, or "cli"
  std::string label;
};

// A recipient's calendar feed (core's ICS export): an unguessable, revocable capability URL.
// Only the SHA-256 of the secret in the URL is kept.
struct CalendarFeedRow {
  std::string id;
  std::string token_sha256;  // lower-case hex
  std::string tenant;        // the school (BRIN) whose meetings the feed carries
  nlohmann::json recipient;  // {organisation, role, name, person_id}: as the consent gate sees them
  TimePoint created_at{};
  std::optional<TimePoint> revoked_at;
  std::string created_by;  // the API token that made it
};

// A unit of work. Reads see the transaction's own writes. Destroying an uncommitted transaction
// rolls it back.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Source records: keyed by (connector, source_key) when connector is set, else by id. A version
  // older than (or equal to, with a different document) the stored one never replaces it.
  virtual Result<UpsertOutcome> upsert(const Entity& entity) = 0;
  // Writes by id, unconditionally (records made through Schakel itself).
  virtual Status put(const Entity& entity) = 0;
  virtual Result<std::optional<Entity>> get(Kind kind, const std::string& id) = 0;
  // The school of a record, without reading its document (an access check needs no more).
  virtual Result<std::optional<std::string>> tenant_of(Kind kind, const std::string& id) {
    auto e = get(kind, id);
    if (!e) return e.status();
    if (!*e) return std::optional<std::string>{};
    return std::optional<std::string>((*e)->tenant);
  }
  virtual Result<std::optional<Entity>> get_by_source(Kind kind, const std::string& connector,
                                                      const std::string& source_key) = 0;
  virtual Result<std::vector<Entity>> list(const EntityQuery& query) = 0;
  // The active guardians whose documents name this student among their children, by id.
  virtual Result<std::vector<Entity>> guardians_of(const std::string& student_id) = 0;
  virtual Status remove(Kind kind, const std::string& id) = 0;

  // A plugin's own state (cursors, sync tokens), by connector and key.
  virtual Result<std::optional<std::string>> connector_state(const std::string& connector,
                                                             const std::string& key) = 0;
  virtual Status put_connector_state(const std::string& connector, const std::string& key,
                                     const std::string& value) = 0;

  // Audit: append only. No code path deletes or changes an entry.
  virtual Status append_audit(AuditRow& row) = 0;  // sets row.seq
  virtual Result<std::optional<AuditRow>> last_audit() = 0;
  // The seq and hash of the last entry: all that chaining the next one needs.
  virtual Result<std::optional<AuditHead>> audit_head() {
    auto last = last_audit();
    if (!last) return last.status();
    if (!*last) return std::optional<AuditHead>{};
    return std::optional<AuditHead>(AuditHead{(*last)->seq, (*last)->hash});
  }
  virtual Result<std::vector<AuditRow>> audit_range(std::int64_t from_seq, int limit) = 0;
  virtual Result<std::vector<AuditRow>> find_audit(const AuditQuery& query) = 0;

  virtual Status quarantine(QuarantineRow& row) = 0;  // sets row.id
  virtual Result<std::vector<QuarantineRow>> quarantined(const std::string& connector, int limit) = 0;

  // Outbox. A second enqueue with the same idempotency key changes nothing and returns the
  // stored row. State changes other than lease and replay expect the item in flight, and fail
  // with `conflict` otherwise, so a stale worker cannot overwrite a later decision.
  virtual Result<EnqueueOutcome> enqueue_outbox(const OutboxItem& item) = 0;
  // Pending items of `connector` due at `now` (oldest due first) become in flight.
  virtual Result<std::vector<OutboxItem>> lease_outbox(const std::string& connector, TimePoint now,
                                                       int limit) = 0;
  // One attempt made: delivered with the receipt, rescheduled, or finished as dead or dropped.
  // `counted` says whether an attempt was made (attempts + 1).
  virtual Status mark_outbox_delivered(std::int64_t id, const std::string& receipt, TimePoint at) = 0;
  virtual Status reschedule_outbox(std::int64_t id, TimePoint next_attempt_at,
                                   const std::string& error) = 0;
  virtual Status mark_outbox_dead(std::int64_t id, const std::string& reason, bool counted) = 0;
  virtual Status mark_outbox_dropped(std::int64_t id, const std::string& reason) = 0;
  // A pending item dropped without an attempt (a consent withdrawn while it waited).
  virtual Status drop_pending_outbox(std::int64_t id, const std::string& reason) = 0;
  virtual Result<std::optional<OutboxItem>> get_outbox(std::int64_t id) = 0;
  virtual Result<std::vector<OutboxItem>> list_outbox(const OutboxQuery& query) = 0;
  // A dead item back to pending, due at `now`, attempts reset (the caller audits the replay).
  virtual Status replay_outbox(std::int64_t id, TimePoint now) = 0;
  // Crash recovery at start: every in-flight item back to pending. Returns how many.
  virtual Result<int> reset_in_flight_outbox() = 0;
  // Delivered deliveries whose consent_ids include `consent_id` (for revocation).
  virtual Result<std::vector<OutboxItem>> delivered_outbox_by_consent(const std::string& consent_id) = 0;
  // The earliest next_attempt_at of `connector`'s pending items, if any.
  virtual Result<std::optional<TimePoint>> next_outbox_due(const std::string& connector) = 0;
  // Admin API tokens. insert fails with conflict when the id or the hash exists; revoke with
  // not_found when the id is unknown (revoking twice keeps the first time).
  virtual Status insert_api_token(const ApiTokenRow& row) = 0;
  virtual Result<std::optional<ApiTokenRow>> api_token(const std::string& id) = 0;
  virtual Result<std::optional<ApiTokenRow>> api_token_by_hash(const std::string& token_sha256) = 0;
  virtual Status revoke_api_token(const std::string& id, TimePoint at) = 0;

  // Calendar feeds (migration 4).
  virtual Status insert_calendar_feed(const CalendarFeedRow& row) = 0;
  virtual Result<std::optional<CalendarFeedRow>> calendar_feed(const std::string& id) = 0;
  virtual Result<std::optional<CalendarFeedRow>> calendar_feed_by_hash(const std::string& token_sha256) = 0;
  virtual Status revoke_calendar_feed(const std::string& id, TimePoint at) = 0;

  virtual Status commit() = 0;
};

struct Options {
  std::filesystem::path path;  // the database file
  int busy_timeout_ms = 5000;
  bool durable = true;         // fsync at every commit (synchronous=FULL); off only in benchmarks
};

class Store {
 public:
  virtual ~Store() = default;

  // A read-only or read-write transaction on the calling thread.
  virtual Result<std::unique_ptr<Transaction>> begin(bool write) = 0;

  // Group commit: runs `work` in a shared write transaction with others submitted meanwhile,
  // commits them with one fsync, and returns once this work is durable (or failed alone: each
  // work runs in a savepoint, so one failure does not undo the others).
  virtual Status write(const std::function<Status(Transaction&)>& work) = 0;
  // The same group commit without a thread waiting for it: `done` gets the work's outcome once it
  // is durable (or failed), possibly on another thread; it must be quick and must not write to
  // this store. A store without a commit thread of its own runs the work at once.
  virtual void write_async(std::function<Status(Transaction&)> work, std::function<void(Status)> done) {
    done(write(work));
  }

  // Checks that the database answers and is intact enough to use.
  virtual Status health() = 0;
  virtual int schema_version() const = 0;
};

// Opens (creating if needed) and migrates a SQLite store. A file newer than this binary, a corrupt
// file, or one locked by another process gives a clear error naming the file.
Result<std::unique_ptr<Store>> open_sqlite(const Options& options);

// The tenant of a school's data (what API tokens are scoped by): the school entity's tenant, else
// its BRIN followed by its vestiging. nullopt for a school that is not known.
Result<std::optional<std::string>> school_tenant(Transaction& tx, const std::string& school_id);

// The schema version this binary writes.
int latest_schema_version();

}  // namespace schakel::store
