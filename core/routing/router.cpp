#include "routing/router.hpp"

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
      on_queued_(std::move(on_queued)) {}

bool Router::matches(const RouteSpec& route, const Event& event) {
  if (route.trigger != event.type) return false;
  // A stage route fires only for its own stage, not for every stage change.
  if (route.trigger == "case.stage_reached") return route.stage == event.stage;
  return true;
}

Result<std::vector<FireOutcome>> Router::fire(const Event& event) {
  std::vector<FireOutcome> out;
  bool queued = false;
  for (const RouteSpec& route : routes_) {
    if (!matches(route, event)) continue;
    auto r = fire_route(route, event);
    if (!r) {
      if (queued && on_queued_) on_queued_();
      return r.status().with_context("route " + route.id);
    }
    queued = queued || (r->outbox_id != 0 && !r->duplicate);
    out.push_back(std::move(*r));
  }
  if (queued && on_queued_) on_queued_();
  return out;
}

Result<FireOutcome> Router::fire_route(const RouteSpec& route, const Event& event) {
  Projection p;
  {
    auto tx = store_.begin(false);
    if (!tx) return tx.status();
    auto projected = projector_.project(route, event, **tx);
    if (!projected) return projected.status();
    p = std::move(*projected);
  }
  const TimePoint now = clock_.now();
  auto decision = gate_.decide(route, p.tenant, p.student_id, p.schema_name, p.document, now);
  if (!decision) return decision.status();

  FireOutcome fo;
  fo.route_id = route.id;
  fo.outcome = decision->outcome;
  const std::string version = event.version.empty() ? p.version : event.version;
  fo.idempotency_key = outbox::idempotency_key(route.id, event.entity_id, version);
  for (const auto& r : decision->reasons) fo.reason += (fo.reason.empty() ? "" : "; ") + r;

  AuditEvent e;
  e.action = "disclose";
  e.outcome = outbox::gate_outcome_name(decision->outcome);
  e.tenant = p.tenant;
  e.actor = event.actor;
  e.actor_role = event.actor_role;
  e.on_behalf_of = event.on_behalf_of;
  e.student_id = p.student_id;
  e.recipient = route.recipient.to_json();
  e.purpose = route.purpose;
  e.processing_activity = route.processing_activity;
  e.consent_ids = decision->consent_ids;
  e.trace_id = event.trace_id;
  e.connector = route.connector;
  e.reason = fo.reason;

  if (decision->outcome == GateOutcome::blocked) {
    // Nothing leaves; the decision is still on record, with the categories that were denied.
    e.categories = decision->denied;
    const Status st = store_.write([&](store::Transaction& tx) { return audit_.append(tx, e); });
    if (!st) return st;
    return fo;
  }

  {
    auto tx = store_.begin(false);
    if (!tx) return tx.status();
    SCHAKEL_TRY(complete_referral(route, p.student_id, decision->consent_ids, decision->document, **tx));
  }

  store::OutboxItem item;
  item.route_id = route.id;
  item.connector = route.connector;
  item.kind = "delivery";
  item.idempotency_key = fo.idempotency_key;
  item.tenant = p.tenant;
  item.student_id = p.student_id;
  item.purpose = route.purpose;
  item.recipient = route.recipient.to_json();
  item.categories = decision->categories;
  item.consent_ids = decision->consent_ids;
  // Stored exactly as it will be sent: dump() sorts keys, so the same document gives the same bytes.
  item.document = decision->document.dump();
  item.schema_name = p.schema_name;
  item.route = route.to_json();
  item.trace_id = event.trace_id;
  item.next_attempt_at = now;
  item.created_at = now;
  e.categories = decision->categories;
  e.payload_sha256 = outbox::sha256_hex(item.document);

  const Status st = store_.write([&](store::Transaction& tx) -> Status {
    auto queued = tx.enqueue_outbox(item);
    if (!queued) return queued.status();
    fo.outbox_id = queued->item.id;
    fo.duplicate = !queued->inserted;
    if (fo.duplicate) return Status::ok();  // decided and audited when it was first queued
    e.outbox_id = queued->item.id;
    return audit_.append(tx, e);
  });
  if (!st) return st;
  return fo;
}

}  // namespace schakel::routing
