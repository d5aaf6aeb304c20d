#include "routing/router.hpp"

#include <algorithm>

#include "base/json_text.hpp"

namespace schakel::routing {

using outbox::AuditEvent;
using outbox::GateOutcome;

Router::Router(store::Store& store, const Clock& clock, outbox::Gate& gate,
               outbox::AuditSink& audit, Projector& projector, std::vector<RouteSpec> routes,
               std::function<void()> on_queued)
    : store_(store),
      clock_(clock),
      gate_(gate),
      audit_(audit),
      projector_(projector),
      routes_(std::move(routes)),
      on_queued_(std::move(on_queued)) {
  for (const RouteSpec& r : routes_) {
    route_json_.push_back(r.to_json());
    recipient_json_.push_back(r.recipient.to_json());
  }
}

bool Router::matches(const RouteSpec& route, const Event& event) {
  if (route.trigger != event.type) return false;
  // A stage route fires only for its own stage, not for every stage change.
  if (route.trigger == "case.stage_reached") return route.stage == event.stage;
  return true;
}

Result<std::vector<FireOutcome>> Router::fire(const Event& event) { return std::move(fire_all({event}).front()); }

std::vector<Result<std::vector<FireOutcome>>> Router::fire_all(const std::vector<Event>& events) {
  std::vector<Plan> plans(events.size());
  // Projections and gate decisions on the calling thread, outside the writer: only the inserts
  // run inside the group commit.
  {
    auto tx = store_.begin(false);
    if (!tx) {
      std::vector<Result<std::vector<FireOutcome>>> out;
      for (std::size_t i = 0; i < events.size(); ++i) out.emplace_back(tx.status());
      return out;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      for (std::size_t r = 0; r < routes_.size(); ++r) {
        if (!matches(routes_[r], events[i])) continue;
        auto d = decide(r, events[i], **tx);
        if (!d) {
          plans[i].failed = d.status().with_context("route " + routes_[r].id);
          break;
        }
        plans[i].routes.push_back(std::move(*d));
      }
    }
  }

  // Nothing decided (no route matched, or every event failed): no write, no commit.
  const bool any = std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return !p.routes.empty(); });
  std::vector<Status> written(plans.size());
  Status together;
  if (any) {
    together = store_.write([&](store::Transaction& tx) -> Status {
      for (Plan& p : plans) SCHAKEL_TRY(write(tx, p));
      return Status::ok();
    });
  }
  if (!together && plans.size() > 1) {
    // Nothing of the batch was kept (its savepoint was undone): each event on its own now.
    for (std::size_t i = 0; i < plans.size(); ++i) {
      if (plans[i].routes.empty()) continue;
      written[i] = store_.write([&](store::Transaction& tx) { return write(tx, plans[i]); });
    }
  } else {
    for (Status& st : written) st = together;
  }

  bool queued = false;
  std::vector<Result<std::vector<FireOutcome>>> out;
  out.reserve(plans.size());
  for (std::size_t i = 0; i < plans.size(); ++i) {
    Plan& p = plans[i];
    if (!written[i]) {
      out.emplace_back(written[i]);
      continue;
    }
    std::vector<FireOutcome> outcomes;
    for (Decided& d : p.routes) {
      queued = queued || (d.outcome.outbox_id != 0 && !d.outcome.duplicate);
      outcomes.push_back(std::move(d.outcome));
    }
    if (!p.failed) {
      out.emplace_back(p.failed);
    } else {
      out.emplace_back(std::move(outcomes));
    }
  }
  if (queued && on_queued_) on_queued_();
  return out;
}

Result<Router::Decided> Router::decide(std::size_t r, const Event& event, store::Transaction& tx) {
  const RouteSpec& route = routes_[r];
  auto projected = projector_.project(route, event, tx);
  if (!projected) return projected.status();
  Projection& p = *projected;
  const TimePoint now = clock_.now();
  auto decision = gate_.decide(route, p.tenant, p.student_id, p.schema_name, p.document, now);
  if (!decision) return decision.status();

  Decided d;
  FireOutcome& fo = d.outcome;
  fo.route_id = route.id;
  fo.outcome = decision->outcome;
  const std::string version = event.version.empty() ? p.version : event.version;
  fo.idempotency_key = outbox::idempotency_key(route.id, event.entity_id, version);
  for (const auto& reason : decision->reasons) fo.reason += (fo.reason.empty() ? "" : "; ") + reason;

  AuditEvent& e = d.audit;
  e.action = "disclose";
  e.outcome = outbox::gate_outcome_name(decision->outcome);
  e.tenant = p.tenant;
  e.actor = event.actor;
  e.actor_role = event.actor_role;
  e.on_behalf_of = event.on_behalf_of;
  e.student_id = p.student_id;
  e.recipient = recipient_json_[r];
  e.purpose = route.purpose;
  e.processing_activity = route.processing_activity;
  e.consent_ids = decision->consent_ids;
  e.trace_id = event.trace_id;
  e.connector = route.connector;
  e.reason = fo.reason;

  if (decision->outcome == GateOutcome::blocked) {
    // Nothing leaves; the decision is still on record, with the categories that were denied.
    e.categories = std::move(decision->denied);
    return d;
  }
  SCHAKEL_TRY(complete_referral(route, p.student_id, decision->consent_ids, decision->document, tx));

  store::OutboxItem& item = d.item.emplace();
  item.route_id = route.id;
  item.connector = route.connector;
  item.kind = "delivery";
  item.idempotency_key = fo.idempotency_key;
  item.tenant = p.tenant;
  item.student_id = p.student_id;
  item.purpose = route.purpose;
  item.recipient = recipient_json_[r];
  item.categories = decision->categories;
  item.consent_ids = std::move(decision->consent_ids);
  // Stored exactly as it will be sent: dump() sorts keys, so the same document gives the same bytes
  // (json_text writes what dump() writes).
  item.document = json_text(decision->document);
  item.schema_name = p.schema_name;
  item.route = route_json_[r];
  item.trace_id = event.trace_id;
  item.next_attempt_at = now;
  item.created_at = now;
  e.categories = std::move(decision->categories);
  e.payload_sha256 = outbox::sha256_hex(item.document);
  return d;
}

// The audit entry and the outbox row of each decided route. Sets the outcomes' ids; a repeat of a
// queued key writes nothing (it was decided and audited when it was first queued).
Status Router::write(store::Transaction& tx, Plan& plan) {
  for (Decided& d : plan.routes) {
    d.outcome.outbox_id = 0;
    d.outcome.duplicate = false;
    const std::string route = "route " + d.outcome.route_id;
    if (!d.item) {
      if (Status st = audit_.append(tx, d.audit); !st) return st.with_context(route);
      continue;
    }
    auto queued = tx.enqueue_outbox(*d.item);
    if (!queued) return queued.status().with_context(route);
    d.outcome.outbox_id = queued->item.id;
    d.outcome.duplicate = !queued->inserted;
    if (d.outcome.duplicate) continue;
    d.audit.outbox_id = queued->item.id;
    if (Status st = audit_.append(tx, d.audit); !st) return st.with_context(route);
  }
  return Status::ok();
}

}  // namespace schakel::routing
