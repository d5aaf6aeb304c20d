#pragma once
// Fires routes on explicit events: each matching route projects a document from the store, the
// consent gate decides, and the audit entry and the outbox row are written in one transaction
// (a blocked document writes only its audit entry). Rule 3: the decision is in the audit log
// before the data can leave.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "outbox/seams.hpp"
#include "store/store.hpp"

namespace schakel::routing {

using outbox::RouteSpec;

struct Event {
  std::string type;       // a trigger: referral.queued, meeting.changed, ...
  std::string entity_id;  // the referral, case or meeting
  std::string version;    // the entity's version; empty: the projector reads it from the entity
  std::string stage;      // case.stage_reached: the stage reached
  std::string trace_id;
  std::string actor = "system";  // who caused the event, for the audit entry
  std::string on_behalf_of;
  // The actor's role (an API token's: staff, ...); empty: the audit sink names a connector or system.
  std::string actor_role{};  // a default, so positional initialisers may leave it out
};

struct Projection {
  std::string schema_name;  // "projection/referral": see outbox::Gate
  nlohmann::json document;
  std::string tenant;
  std::string student_id;  // empty when the document concerns no single student
  std::string version;     // the entity's version, for the idempotency key
};

// Builds a route's document. Reads through the transaction it is given, never writes.
class Projector {
 public:
  virtual ~Projector() = default;
  virtual Result<Projection> project(const RouteSpec& route, const Event& event,
                                     store::Transaction& tx) = 0;
};

// The default projections: {"referral"|"case"|"meeting": <entity>, "student": ..., "school": ...}
// read from the store (a meeting has no single student).
class StoreProjector final : public Projector {
 public:
  Result<Projection> project(const RouteSpec& route, const Event& event,
                             store::Transaction& tx) override;
};

// What a referral's destination needs besides the gated projection, added after the gate: which
// document it is ("kind": aanmelding or aanvulling), the consent it leaves under ("consent": id,
// date, granted_by, purposes), and for a supplement the answer ("supplement") taken from the gated
// referral. Other projections are left as they are.
Status complete_referral(const RouteSpec& route, const std::string& student_id,
                         const std::vector<std::string>& consent_ids, nlohmann::json& doc, store::Transaction& tx);

struct FireOutcome {
  std::string route_id;
  outbox::GateOutcome outcome = outbox::GateOutcome::blocked;
  std::int64_t outbox_id = 0;  // 0 when blocked
  bool duplicate = false;      // the same key was queued before: nothing new written
  std::string idempotency_key;
  std::string reason;
};

class Router {
 public:
  // `on_queued` runs after an item was queued (the delivery engine's wake()).
  Router(store::Store& store, const Clock& clock, outbox::Gate& gate, outbox::AuditSink& audit,
         Projector& projector, std::vector<RouteSpec> routes, std::function<void()> on_queued = {});

  [[nodiscard]] static bool matches(const RouteSpec& route, const Event& event);

  // One outcome per matching route. A route that fails (entity missing, store error) fails the
  // call after the routes before it were written; firing again is safe (idempotency key).
  Result<std::vector<FireOutcome>> fire(const Event& event);

  // Fires many events at once, each as fire() would, with one result per event in order. The
  // projections and gate decisions share one read transaction, and the audit entries and outbox
  // rows of all events are written in one group-committed write: one fsync for the lot, not one
  // per event. If that write fails, each event is written on its own, so one bad event cannot
  // hold back the others.
  std::vector<Result<std::vector<FireOutcome>>> fire_all(const std::vector<Event>& events);

 private:
  // A route's decision, made and ready to write.
  struct Decided {
    FireOutcome outcome;
    outbox::AuditEvent audit;
    std::optional<store::OutboxItem> item;  // none when blocked
  };
  // What one event comes to before anything is written: the routes decided in order, and the
  // error of the route that failed (the routes before it are still written).
  struct Plan {
    std::vector<Decided> routes;
    Status failed;
  };

  Result<Decided> decide(std::size_t route, const Event& event, store::Transaction& tx);
  Status write(store::Transaction& tx, Plan& plan);

  store::Store& store_;
  const Clock& clock_;
  outbox::Gate& gate_;
  outbox::AuditSink& audit_;
  Projector& projector_;
  std::vector<RouteSpec> routes_;
  std::vector<nlohmann::json> route_json_;      // routes_[i].to_json(), made once
  std::vector<nlohmann::json> recipient_json_;  // routes_[i].recipient.to_json()
  std::function<void()> on_queued_;
};

}  // namespace schakel::routing
