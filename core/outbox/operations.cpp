// The outbox's library operations: consent withdrawal (drop and revoke) and dead letters.
#include <algorithm>

#include "outbox/engine.hpp"

namespace schakel::outbox {
namespace {

using store::OutboxItem;
using store::OutboxState;

bool covers(const OutboxItem& item, const std::string& consent_id) {
  return std::find(item.consent_ids.begin(), item.consent_ids.end(), consent_id) !=
         item.consent_ids.end();
}

}  // namespace

Status DeliveryEngine::on_consent_withdrawn(const std::string& consent_id,
                                            const std::string& student_id,
                                            const std::string& reason, const Actor& actor) {
  const TimePoint now = clock_.now();
  // Which destinations can be told: decided before the transaction, without holding mu_ in it.
  std::map<std::string, bool> can_revoke;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, d] : dests_) can_revoke[name] = d->destination->can_revoke();
  }

  // Pending items of this student that the consent covered: the gate decides again now, so an
  // item waiting in backoff is dropped at once rather than at its next attempt.
  std::vector<OutboxItem> pending;
  {
    auto tx = store_.begin(false);
    if (!tx) return tx.status();
    store::OutboxQuery q;
    q.state = OutboxState::pending;
    q.student_id = student_id;
    q.limit = 1000;
    for (;;) {
      auto page = (*tx)->list_outbox(q);
      if (!page) return page.status();
      for (auto& it : *page) {
        if (it.kind == "delivery" && covers(it, consent_id)) pending.push_back(std::move(it));
      }
      if (static_cast<int>(page->size()) < q.limit) break;
      q.after_id = page->back().id;
    }
  }
  std::vector<std::pair<OutboxItem, GateResult>> to_drop;
  for (auto& it : pending) {
    auto decision = recheck(it, now);
    if (!decision) return decision.status();
    if (decision->outcome != GateOutcome::permitted) to_drop.emplace_back(std::move(it), *decision);
  }

  const Status written = store_.write([&](store::Transaction& tx) -> Status {
    for (const auto& [it, decision] : to_drop) {
      std::string why = "consent " + consent_id + " withdrawn";
      if (!reason.empty()) why += ": " + reason;
      if (Status st = tx.drop_pending_outbox(it.id, why); !st) {
        if (st.code() == ErrorCode::conflict) continue;  // a worker took it meanwhile; it re-checks
        return st;
      }
      AuditEvent e = event_for(it, "dropped");
      e.actor = actor.id;  // the person whose withdrawal stopped it
      e.actor_role = actor.role;
      e.attempt = it.attempts;
      e.reason = why;
      e.consent_ids = decision.consent_ids;
      SCHAKEL_TRY(audit_.append(tx, e));
    }
    // AVG art. 19: recipients of a disclosure the consent covered are told. A revocation carries
    // only the stored receipt and the reason, so it passes no gate.
    auto delivered = tx.delivered_outbox_by_consent(consent_id);
    if (!delivered) return delivered.status();
    for (const OutboxItem& it : *delivered) {
      auto found = can_revoke.find(it.connector);
      if (found == can_revoke.end() || !found->second) continue;
      OutboxItem rev;
      rev.route_id = it.route_id;
      rev.connector = it.connector;
      rev.kind = "revocation";
      rev.idempotency_key = "revoke-" + consent_id + "-" + it.idempotency_key;
      rev.tenant = it.tenant;
      rev.student_id = it.student_id;
      rev.purpose = it.purpose;
      rev.recipient = it.recipient;
      rev.consent_ids = {consent_id};
      auto receipt = nlohmann::json::parse(it.receipt.value_or("{}"), nullptr, false);
      if (receipt.is_discarded()) receipt = nlohmann::json::object();
      rev.document = nlohmann::json{{"reason", reason}, {"receipt", receipt}}.dump();
      rev.schema_name = "revocation";
      rev.route = it.route;
      rev.trace_id = it.trace_id;
      rev.revokes_id = it.id;
      rev.next_attempt_at = now;
      rev.created_at = now;
      auto queued = tx.enqueue_outbox(rev);
      if (!queued) return queued.status();
      if (!queued->inserted) continue;
      AuditEvent e = event_for(queued->item, "permitted");
      e.actor = actor.id;
      e.actor_role = actor.role;
      e.attempt = 0;
      e.reason = "revocation of outbox item " + std::to_string(it.id) + " queued: consent " +
                 consent_id + " withdrawn" + (reason.empty() ? "" : ": " + reason);
      SCHAKEL_TRY(audit_.append(tx, e));
    }
    return Status::ok();
  });
  if (!written) return written;
  wake();
  return Status::ok();
}

Result<std::vector<OutboxItem>> DeliveryEngine::dead_letters(
    const std::optional<std::string>& connector, std::int64_t after_id, int limit) {
  auto tx = store_.begin(false);
  if (!tx) return tx.status();
  store::OutboxQuery q;
  q.state = OutboxState::dead;
  q.connector = connector;
  q.after_id = after_id;
  q.limit = limit;
  return (*tx)->list_outbox(q);
}

Result<std::optional<OutboxItem>> DeliveryEngine::inspect(std::int64_t id) {
  auto tx = store_.begin(false);
  if (!tx) return tx.status();
  return (*tx)->get_outbox(id);
}

Result<store::OutboxItem> DeliveryEngine::replay(std::int64_t id, const Actor& actor) {
  const TimePoint now = clock_.now();
  store::OutboxItem replayed;
  const Status written = store_.write([&](store::Transaction& tx) -> Status {
    auto item = tx.get_outbox(id);
    if (!item) return item.status();
    if (!*item) return Status(ErrorCode::not_found, "outbox item " + std::to_string(id) + " not found");
    SCHAKEL_TRY(tx.replay_outbox(id, now));
    // The schema has no "replay" action: a replay is a delivery permitted again, by a person.
    AuditEvent e = event_for(**item, "permitted");
    e.actor = actor.id;
    e.actor_role = actor.role;
    e.attempt = 0;
    e.reason = "dead letter replayed by " + actor.id + " (was: " + (*item)->last_error + ")";
    SCHAKEL_TRY(audit_.append(tx, e));
    auto after = tx.get_outbox(id);
    if (!after) return after.status();
    replayed = std::move(**after);
    return Status::ok();
  });
  if (!written) return written;
  wake();
  return replayed;
}

}  // namespace schakel::outbox
