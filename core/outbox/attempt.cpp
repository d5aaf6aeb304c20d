// One delivery attempt: consent re-check, the plugin call, and the outcome with its audit entry
// in one transaction.
#include <exception>

#include "base/json_text.hpp"
#include "outbox/engine.hpp"

namespace schakel::outbox {
namespace {

using store::OutboxItem;
using store::OutboxState;

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// Plugins are behind the plugin host and should not throw; if one does, it is a failed attempt.
DeliveryResult call(Destination& dest, const OutboxItem& item) {
  try {
    if (item.kind == "revocation") {
      auto doc = parse_json_text(item.document);
      if (!doc.is_object()) {
        return {DeliveryOutcome::reject, "the stored revocation is not a JSON object", {}, {}};
      }
      return dest.revoke(doc.value("receipt", nlohmann::json::object()), doc.value("reason", ""),
                         item.idempotency_key);
    }
    return dest.deliver(item.document, item.idempotency_key);
  } catch (const std::exception& e) {
    return {DeliveryOutcome::retry, std::string("the destination threw: ") + e.what(), {}, {}};
  } catch (...) {
    return {DeliveryOutcome::retry, "the destination threw an unknown exception", {}, {}};
  }
}

}  // namespace

AuditEvent DeliveryEngine::event_for(const OutboxItem& item, const char* outcome) const {
  AuditEvent e;
  e.action = item.kind == "revocation" ? "revoke" : "deliver";
  e.outcome = outcome;
  e.tenant = item.tenant;
  e.actor = item.connector;
  e.actor_role = "connector";
  e.student_id = item.student_id;
  e.recipient = item.recipient;
  e.purpose = item.purpose;
  e.processing_activity = item.route.value("processing_activity", "");
  e.categories = item.categories;
  e.consent_ids = item.consent_ids;
  e.payload_sha256 = sha256_hex(item.document);
  e.trace_id = item.trace_id;
  e.connector = item.connector;
  e.outbox_id = item.id;
  e.attempt = item.attempts + 1;
  return e;
}

Result<GateResult> DeliveryEngine::recheck(const OutboxItem& item, TimePoint at) {
  auto doc = parse_json_text(item.document);
  if (doc.is_discarded()) {
    return Status(ErrorCode::corrupt, "outbox item " + std::to_string(item.id) +
                                          ": the stored document is not JSON");
  }
  return gate_.decide(RouteSpec::from_json(item.route), item.tenant, item.student_id,
                      item.schema_name, doc, at);
}

DeliveryEngine::Completion DeliveryEngine::attempt(Dest& d, const OutboxItem& item) {
  Completion c;
  c.dest = &d;
  c.item = item;
  c.report = AttemptReport{item.id, OutboxState::in_flight, {}};
  const TimePoint now = clock_.now();

  if (now - item.created_at >= options_.max_age) {
    c.kind = Completion::Kind::too_old;
    c.report.detail = "too old: not delivered within " + std::to_string(options_.max_age.count()) +
                      " ms (last error: " + (item.last_error.empty() ? "none" : item.last_error) + ")";
    return c;
  }

  // Rule 4: consent is decided again at the moment of delivery. The stored bytes are never
  // re-redacted (a retry must send the same bytes), so anything short of a permit drops the item.
  if (item.kind == "delivery") {
    auto decision = recheck(item, now);
    if (!decision) {
      c.result = {DeliveryOutcome::retry,
                  "consent could not be checked: " + decision.status().message(), {}, {}};
      return c;
    }
    if (decision->outcome != GateOutcome::permitted) {
      c.kind = Completion::Kind::dropped;
      c.report.detail = "consent no longer permits this disclosure";
      if (!decision->denied.empty()) c.report.detail += " (denied: " + join(decision->denied) + ")";
      if (!decision->reasons.empty()) c.report.detail += ": " + join(decision->reasons);
      c.consent_ids = decision->consent_ids;
      return c;
    }
  }

  c.result = call(*d.destination, item);
  if (c.result.outcome == DeliveryOutcome::fatal) {
    std::lock_guard lock(mu_);
    d.fatal = true;
  }
  return c;
}

Status DeliveryEngine::record(store::Transaction& tx, Completion& c) {
  const OutboxItem& item = c.item;
  switch (c.kind) {
    case Completion::Kind::too_old: {
      c.report.state = OutboxState::dead;
      SCHAKEL_TRY(tx.mark_outbox_dead(item.id, c.report.detail, false));
      AuditEvent e = event_for(item, "dead");
      e.attempt = item.attempts;
      e.reason = c.report.detail;
      return audit_.append(tx, e);
    }
    case Completion::Kind::dropped: {
      c.report.state = OutboxState::dropped;
      SCHAKEL_TRY(tx.mark_outbox_dropped(item.id, c.report.detail));
      AuditEvent e = event_for(item, "dropped");
      e.attempt = item.attempts;
      e.reason = c.report.detail;
      e.consent_ids = c.consent_ids;
      return audit_.append(tx, e);
    }
    case Completion::Kind::result:
      return finish(tx, item, c.result, c.report, c.next_due);
  }
  return Status(ErrorCode::internal, "unknown completion");
}

void DeliveryEngine::record_all(std::vector<Completion>& batch) {
  auto failed = [](Completion& c, const Status& st) {
    // The item stays in flight and is pending again at the next start.
    c.report.state = OutboxState::in_flight;
    c.next_due.reset();
    c.report.detail = "could not record the outcome: " + st.message();
  };
  if (batch.size() > 1) {
    // One transaction for all: far fewer commits when many calls finish together.
    const Status st = store_.write([&](store::Transaction& tx) -> Status {
      for (Completion& c : batch) {
        if (Status one = record(tx, c); !one) return one;
      }
      return Status::ok();
    });
    if (st) return;
  }
  // Alone, or one by one after a batch failed, so one bad item cannot hold back the others.
  for (Completion& c : batch) {
    c.next_due.reset();
    if (Status st = store_.write([&](store::Transaction& tx) { return record(tx, c); }); !st) {
      failed(c, st);
    }
  }
}

Status DeliveryEngine::finish(store::Transaction& tx, const OutboxItem& item,
                              const DeliveryResult& result, AttemptReport& report,
                              std::optional<TimePoint>& next_due) {
  const TimePoint now = clock_.now();
  const int attempts = item.attempts + 1;
  auto append = [&](const char* outcome, const std::string& reason) {
    AuditEvent e = event_for(item, outcome);
    e.reason = reason;
    return audit_.append(tx, e);
  };
  switch (result.outcome) {
    case DeliveryOutcome::ok: {
      report.state = OutboxState::delivered;
      SCHAKEL_TRY(tx.mark_outbox_delivered(item.id, result.receipt.dump(), now));
      return append("delivered", "");
    }
    case DeliveryOutcome::reject: {
      // Permanent: retrying would only repeat the refusal.
      report.state = OutboxState::dead;
      report.detail = "rejected by " + item.connector + ": " +
                      (result.message.empty() ? "(no message)" : result.message);
      SCHAKEL_TRY(tx.mark_outbox_dead(item.id, report.detail, true));
      return append("dead", report.detail);
    }
    case DeliveryOutcome::retry:
    case DeliveryOutcome::fatal: {
      const std::string error = std::string(delivery_outcome_name(result.outcome)) + ": " +
                                (result.message.empty() ? "(no message)" : result.message);
      if (attempts >= options_.max_attempts) {
        report.state = OutboxState::dead;
        report.detail = "gave up after " + std::to_string(attempts) + " attempts; last error: " + error;
        SCHAKEL_TRY(tx.mark_outbox_dead(item.id, report.detail, true));
        return append("dead", report.detail);
      }
      if (now - item.created_at >= options_.max_age) {
        report.state = OutboxState::dead;
        report.detail = "too old: not delivered within " + std::to_string(options_.max_age.count()) +
                        " ms; last error: " + error;
        SCHAKEL_TRY(tx.mark_outbox_dead(item.id, report.detail, true));
        return append("dead", report.detail);
      }
      // A destination's Retry-After wins over our own backoff.
      const std::chrono::microseconds delay =
          result.retry_after ? std::chrono::microseconds(*result.retry_after) : backoff_.delay(attempts);
      const TimePoint next = now + delay;
      report.state = OutboxState::pending;
      report.detail = error;
      next_due = next;
      SCHAKEL_TRY(tx.reschedule_outbox(item.id, next, error));
      return append("failed", error);
    }
  }
  return Status(ErrorCode::internal, "unknown delivery outcome");
}

}  // namespace schakel::outbox
