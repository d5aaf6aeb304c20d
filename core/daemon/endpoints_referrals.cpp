// Referrals (staff, own schools): queue one (stored, then referral.queued fired; the answer
// names each route's outcome), read one with its status, decision, portal id and what became of
// each disclosure (the gate's decisions from the audit log, the deliveries from the outbox), and
// answer the SWV's request for more information (fires referral.supplement_answered).
//
// The events a referral fires carry trace ids derived from the referral (derived_trace_id), so
// the read finds their audit entries and outbox rows without a column of its own.
#include "audit/entry.hpp"
#include "daemon/endpoints_common.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

std::string queued_trace(const std::string& id) { return derived_trace_id("referral.queued\n" + id); }
std::string supplement_trace(const std::string& id, long long version) {
  return derived_trace_id("referral.supplement_answered\n" + id + "\n" + std::to_string(version));
}

Result<std::vector<routing::FireOutcome>> fire(Runtime& rt, const RequestContext& ctx, const std::string& type,
                                               const std::string& id, const std::string& trace) {
  return rt.router().fire(event_of(ctx, type, id, trace));
}

ApiResponse queue(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  if (!doc.contains("status")) doc["status"] = "queued";
  if (auto bad = validate_doc(service, "referral", doc)) return *bad;
  const std::string id = doc["id"].get<std::string>();
  if (!api::is_valid_id(id)) return unprocessable("/id", "must match [A-Za-z0-9._-]{1,128}", "the id is not usable in a URL");
  if (doc["status"] != "queued")
    return unprocessable("/status", "a new referral is \"queued\"; the portal's answers set the rest", "wrong status");
  for (const char* portal_field : {"portal_id", "decision", "submitted_at", "supplements"}) {
    if (doc.contains(portal_field))
      return unprocessable(std::string("/") + portal_field, "set by Schakel and the portal, not by the school",
                           std::string(portal_field) + " cannot be given");
  }
  std::string tenant;
  if (auto refused = check_school_and_student(service, ctx, doc, tenant)) return *refused;
  const std::string student_id = doc["student_id"].get<std::string>();
  auto the_case = load(service, store::Kind::case_, doc["case_id"].get<std::string>());
  if (!the_case) return api::store_failure(the_case.status());
  if (!*the_case || (*the_case)->doc.value("student_id", "") != student_id)
    return unprocessable("/case_id", "no case of this student with this id", "the case is not known for this student");
  const json consent_ids = doc.value("consent_ids", json::array());
  for (std::size_t i = 0; i < consent_ids.size(); ++i) {
    auto c = load(service, store::Kind::consent, consent_ids[i].get<std::string>());
    if (!c) return api::store_failure(c.status());
    if (!*c || (*c)->student_id != student_id)
      return unprocessable("/consent_ids/" + std::to_string(i), "no consent of this student with this id",
                           "a consent the referral names is not known for this student");
  }
  bump_version(doc, ctx.now());
  doc["status_changed_at"] = doc["updated_at"];

  store::Entity e;
  e.kind = store::Kind::referral;
  e.id = id;
  e.tenant = tenant;
  e.student_id = student_id;
  e.doc = doc;
  e.updated_at = ctx.now();
  bool exists = false;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::referral, id);
    if (!existing) return existing.status();
    if (*existing) {
      exists = true;
      return Status(ErrorCode::conflict, "exists");
    }
    return tx.put(e);
  });
  if (exists) return api::error_response(409, "conflict", "referral " + id + " already exists", {{"/id", "already exists"}});
  if (!st) return api::store_failure(st);

  const std::string trace = queued_trace(id);
  auto fired = fire(rt, ctx, "referral.queued", id, trace);
  if (!fired) {
    return api::error_response(500, "routing_failed",
                               "referral " + id + " is stored, but its routes could not be fired: " + fired.status().message());
  }
  ApiResponse r = api::json_response(201, {{"id", id}, {"status", doc["status"]}, {"version", doc["version"]},
                                           {"trace_id", trace}, {"routes", outcomes_json(*fired)}});
  r.headers.emplace_back("Location", "/v1/referrals/" + id);
  return r;
}

// What the gate decided for each event of the referral (audit, action disclose) and what became
// of each queued item (outbox), for the IB to see why something was blocked or is stuck.
Status history(Runtime& rt, const store::Entity& e, json& decisions, json& deliveries) {
  std::map<std::string, std::string> traces = {{queued_trace(e.id), "referral.queued"}};
  for (const auto& s : e.doc.value("supplements", json::array()))
    traces[supplement_trace(e.id, s.value("version", 0LL))] = "referral.supplement_answered";

  auto tx = rt.store().begin(false);
  if (!tx) return tx.status();
  auto pseudonym = rt.audit().keys().existing_pseudonym(e.tenant, e.student_id);
  if (pseudonym) {
    store::AuditQuery q;
    q.tenant = e.tenant;
    q.subject = *pseudonym;
    q.action = "disclose";
    q.limit = 1000;
    for (;;) {
      auto rows = (*tx)->find_audit(q);
      if (!rows) return rows.status();
      for (const auto& row : *rows) {
        auto t = traces.find(row.trace_id);
        if (t == traces.end()) continue;
        const auto who = audit::decode_recipient(row.recipient);
        json d = {{"event", t->second}, {"seq", row.seq}, {"time", format_utc(row.time)}, {"outcome", row.outcome},
                  {"recipient", {{"organisation", who.organisation}, {"role", who.role}, {"name", who.name}}},
                  {"purpose", row.purpose}, {"categories", row.categories}, {"consent_ids", row.consent_ids}};
        if (!row.reason.empty()) d["reason"] = row.reason;
        decisions.push_back(std::move(d));
      }
      if (static_cast<int>(rows->size()) < q.limit) break;
      q.after_seq = rows->back().seq;
    }
  } else if (pseudonym.status().code() != ErrorCode::not_found) {
    return pseudonym.status();
  }

  store::OutboxQuery q;
  q.student_id = e.student_id;
  q.limit = 1000;
  for (;;) {
    auto items = (*tx)->list_outbox(q);
    if (!items) return items.status();
    for (const auto& it : *items) {
      auto t = traces.find(it.trace_id);
      if (t == traces.end()) continue;
      json d = {{"event", t->second}, {"outbox_id", it.id}, {"route_id", it.route_id}, {"connector", it.connector},
                {"kind", it.kind}, {"state", store::outbox_state_name(it.state)}, {"attempts", it.attempts}};
      if (!it.last_error.empty()) d["last_error"] = it.last_error;
      if (it.delivered_at) d["delivered_at"] = format_utc(*it.delivered_at);
      if (it.receipt) {
        json receipt = json::parse(*it.receipt, nullptr, false);
        if (!receipt.is_discarded()) d["receipt"] = receipt;
      }
      deliveries.push_back(std::move(d));
    }
    if (static_cast<int>(items->size()) < q.limit) break;
    q.after_id = items->back().id;
  }
  return {};
}

ApiResponse read(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::referral, ctx.param("id"), e)) return *refused;
  if (auto refused = audited_read(service, ctx, e.tenant, "referral", e.id, e.student_id)) return *refused;
  json decisions = json::array();
  json deliveries = json::array();
  if (Status st = history(rt, e, decisions, deliveries); !st) return api::store_failure(st);
  json blocked = json::array();
  for (const auto& d : decisions) {
    if (d["outcome"] == "blocked") blocked.push_back(d.value("reason", std::string("blocked by the consent gate")));
  }
  json out = {{"referral", e.doc},
              {"status", e.doc.value("status", "")},
              {"decisions", decisions},
              {"deliveries", deliveries},
              {"blocked", !blocked.empty()},
              {"block_reasons", blocked}};
  out["decision"] = e.doc.contains("decision") ? e.doc["decision"] : json();
  out["portal_id"] = e.doc.contains("portal_id") ? e.doc["portal_id"] : json();
  return api::json_response(200, out);
}

ApiResponse supplement(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json body;
  if (auto bad = api::parse_json_object(ctx.request(), body)) return *bad;
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::referral, ctx.param("id"), e)) return *refused;
  for (const auto& [key, _] : body.items()) {
    if (key != "text" && key != "attachments") return unprocessable("/" + key, "unknown field; give text and attachments", "unknown field " + key);
  }
  if (e.doc.value("status", "") != "information_requested") {
    return api::error_response(409, "conflict",
                               "the SWV has not asked for more information on referral " + e.id + " (status " +
                                   e.doc.value("status", "") + ")",
                               {{"/status", "must be information_requested"}});
  }
  json doc = e.doc;
  bump_version(doc, ctx.now());
  json answer = body;
  answer["answered_at"] = doc["updated_at"];
  answer["answered_by"] = actor_of(ctx);
  answer["version"] = doc["version"];
  if (!doc.contains("supplements")) doc["supplements"] = json::array();
  const std::size_t index = doc["supplements"].size();
  doc["supplements"].push_back(answer);
  if (auto bad = validate_doc(service, "referral", doc, "/supplements/" + std::to_string(index), "")) return *bad;

  store::Entity updated = e;
  updated.doc = doc;
  updated.updated_at = ctx.now();
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto current = tx.get(store::Kind::referral, e.id);
    if (!current) return current.status();
    if (!*current || (*current)->doc.value("version", 0) != e.doc.value("version", 0))
      return Status(ErrorCode::conflict, "referral " + e.id + " changed meanwhile; read it again");
    return tx.put(updated);
  });
  if (!st) return status_failure(st);

  const long long version = doc["version"].get<long long>();
  const std::string trace = supplement_trace(e.id, version);
  auto fired = fire(rt, ctx, "referral.supplement_answered", e.id, trace);
  if (!fired) {
    return api::error_response(500, "routing_failed",
                               "the answer is stored, but its routes could not be fired: " + fired.status().message());
  }
  return api::json_response(201, {{"referral_id", e.id}, {"index", index}, {"version", version},
                                  {"trace_id", trace}, {"routes", outcomes_json(*fired)}});
}

}  // namespace

void register_referral_routes(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"POST", "/v1/referrals", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return queue(service, rt, ctx); },
                     "queue a referral to the SWV; answers each route's outcome"});
  service.add_route({"GET", "/v1/referrals/{id}", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return read(service, rt, ctx); },
                     "a referral with its status, decision, portal id and why it was blocked (audited)"});
  service.add_route({"POST", "/v1/referrals/{id}/supplement", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return supplement(service, rt, ctx); },
                     "answer the SWV's request for more information"});
}

}  // namespace schakel::daemon
