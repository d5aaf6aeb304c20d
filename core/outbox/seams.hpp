#pragma once
// The outbox's own small interfaces to the modules built beside it: the consent gate, the audit
// log and a destination (a sink plugin behind the plugin host). The daemon adapts the real
// modules to these, so the delivery engine depends on nothing but the store.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "audit/crypto.hpp"
#include "base/status.hpp"
#include "store/store.hpp"

namespace schakel::outbox {

struct Recipient {
  std::string organisation;
  std::string role;
  std::string name;
  [[nodiscard]] nlohmann::json to_json() const;
  static Recipient from_json(const nlohmann::json& j);
};

enum class DeniedPolicy { redact, block };

// A route as the gate and the outbox need it (config "routes", DESIGN section 7).
struct RouteSpec {
  std::string id;
  std::string trigger;     // case.stage_reached, referral.queued, ...
  std::string stage;       // for case.stage_reached
  std::string projection;  // case, referral, referral_supplement, meeting
  std::string connector;
  Recipient recipient;
  std::string purpose;
  std::string processing_activity;
  DeniedPolicy denied = DeniedPolicy::block;
  std::string legal_basis;  // empty: none named
  [[nodiscard]] nlohmann::json to_json() const;
  static RouteSpec from_json(const nlohmann::json& j);
};

enum class GateOutcome { permitted, redacted, blocked };
const char* gate_outcome_name(GateOutcome outcome);

struct GateResult {
  GateOutcome outcome = GateOutcome::blocked;
  nlohmann::json document;              // what may be sent (redacted when outcome is redacted)
  std::vector<std::string> categories;  // the categories in `document`
  std::vector<std::string> denied;      // the categories that were denied
  std::vector<std::string> consent_ids;
  std::vector<std::string> reasons;     // for people: why a category was denied
};

// The consent gate (core/consent). `doc` is a document of schema `schema_name`; composite
// projections are named "projection/<kind>" and hold one member per part, each member named by
// its schema ("referral", "student", "school"): categories come from each member's schema.
class Gate {
 public:
  virtual ~Gate() = default;
  virtual Result<GateResult> decide(const RouteSpec& route, const std::string& tenant,
                                    const std::string& student_id, const std::string& schema_name,
                                    const nlohmann::json& doc, TimePoint at) = 0;
};

// Who asked for an operation on the outbox (a withdrawal, a replay): named in its audit entries.
struct Actor {
  std::string id;    // "admin:jan", the token's actor
  std::string role;  // the token's role ("admin", "staff", ...)
};

// One audit entry (DESIGN section 5) before the audit module adds sequence, time and hashes.
struct AuditEvent {
  std::string action;   // disclose, deliver, revoke (audit_event.schema.json)
  std::string outcome;  // permitted, redacted, blocked, delivered, failed, dead, dropped
  std::string tenant;
  std::string actor = "system";  // user, connector or system
  std::string actor_role;
  std::string on_behalf_of;
  std::string student_id;  // the audit module turns this into the keyed pseudonym
  nlohmann::json recipient = nlohmann::json::object();
  std::string purpose;
  std::string processing_activity;
  std::vector<std::string> categories;
  std::vector<std::string> consent_ids;
  std::string payload_sha256;  // of the bytes sent, never the bytes
  std::string reason;
  std::string trace_id;
  std::string connector;
  std::int64_t outbox_id = 0;
  int attempt = 0;
};

// The audit log (core/audit). Appends inside the caller's transaction, so the entry and the
// state change it records commit together or not at all.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Status append(store::Transaction& tx, const AuditEvent& event) = 0;
};

enum class DeliveryOutcome { ok, retry, reject, fatal };
const char* delivery_outcome_name(DeliveryOutcome outcome);

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::ok;
  std::string message;  // the destination's words, for retry, reject and fatal
  std::optional<std::chrono::milliseconds> retry_after;
  nlohmann::json receipt = nlohmann::json::object();  // ok: the destination's reference
};

// A sink plugin as the outbox sees it. Calls block; the engine makes them on its worker pool,
// never on a thread that waits for I/O of others. Both may run concurrently for one destination,
// up to its concurrency limit.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual DeliveryResult deliver(const std::string& bytes, const std::string& idempotency_key) = 0;
  virtual DeliveryResult revoke(const nlohmann::json& receipt, const std::string& reason,
                                const std::string& idempotency_key) = 0;
  [[nodiscard]] virtual bool can_revoke() const = 0;
};

// Lowercase hex SHA-256: the audit log's own, so payload hashes in both always agree.
using audit::sha256_hex;

// The key a destination deduplicates on: the same route, entity and version give the same key,
// across restarts and machines.
std::string idempotency_key(const std::string& route_id, const std::string& entity_id,
                            const std::string& entity_version);

}  // namespace schakel::outbox
