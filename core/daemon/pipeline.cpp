#include "daemon/pipeline.hpp"

#include <algorithm>

#include "audit/entry.hpp"
#include "calendar/feed.hpp"
#include "consent/redaction.hpp"
#include "log/log.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

outbox::GateOutcome outcome_of(consent::GateOutcome o) {
  switch (o) {
    case consent::GateOutcome::permitted: return outbox::GateOutcome::permitted;
    case consent::GateOutcome::redacted: return outbox::GateOutcome::redacted;
    case consent::GateOutcome::blocked: return outbox::GateOutcome::blocked;
  }
  return outbox::GateOutcome::blocked;
}

outbox::DeliveryResult delivery_result(const plugin_host::CallResult& r) {
  outbox::DeliveryResult out;
  out.message = r.message;
  switch (r.code) {
    case plugin_host::CallCode::ok: out.outcome = outbox::DeliveryOutcome::ok; break;
    case plugin_host::CallCode::retry: out.outcome = outbox::DeliveryOutcome::retry; break;
    case plugin_host::CallCode::reject: out.outcome = outbox::DeliveryOutcome::reject; break;
    case plugin_host::CallCode::fatal: out.outcome = outbox::DeliveryOutcome::fatal; break;
  }
  if (r.code == plugin_host::CallCode::retry && r.retry_after.count() > 0) out.retry_after = r.retry_after;
  if (!r.receipt_json.empty()) {
    out.receipt = json::parse(r.receipt_json, nullptr, false);
    if (out.receipt.is_discarded()) out.receipt = json{{"raw", r.receipt_json}};
  }
  return out;
}

std::optional<store::Kind> stream_kind(const std::string& stream) {
  if (stream == "schools") return store::Kind::school;
  if (stream == "students") return store::Kind::student;
  if (stream == "guardians") return store::Kind::guardian;
  if (stream == "staff") return store::Kind::staff;
  if (stream == "queued_referrals") return store::Kind::referral;
  return std::nullopt;
}

// The portal's status words (the contract) onto the referral's own (schemas/referral).
std::optional<std::string> referral_status(const std::string& portal_status) {
  static const std::map<std::string, std::string> k_map = {
      {"ontvangen", "received"},  {"in_behandeling", "in_progress"},
      {"aanvullende_informatie_gevraagd", "information_requested"},
      {"toegekend", "granted"},   {"afgewezen", "rejected"},
      {"ingetrokken", "withdrawn"}};
  auto it = k_map.find(portal_status);
  if (it == k_map.end()) return std::nullopt;
  return it->second;
}

json decision_of(const json& besluit) {
  json d = {{"decided_on", besluit.value("datum", "")}};
  if (besluit.contains("arrangement")) {
    const auto& a = besluit["arrangement"];
    json arr = {{"kind", a.value("soort", "arrangement")}, {"start", a.value("ingangsdatum", besluit.value("datum", ""))}};
    if (a.contains("einddatum")) arr["end"] = a["einddatum"];
    d["arrangement"] = arr;
  }
  if (besluit.contains("tlv")) {
    const auto& t = besluit["tlv"];
    d["tlv"] = {{"category", t.value("categorie", "")}, {"end", t.value("einddatum", "")}};
  }
  if (besluit.contains("toelichting")) d["explanation"] = besluit["toelichting"];
  return d;
}

}  // namespace

Status ConsentService::load(store::Store& store, std::size_t other_students) {
  auto tx = store.begin(false);
  if (!tx) return tx.status();
  std::unique_lock lock(mu_);
  index_.hold_some(
      [&store](const std::string& student_id) -> Result<std::optional<consent::StudentFacts>> {
        auto read = store.begin(false);
        if (!read) return read.status();
        return consent::ConsentIndex::read_facts(**read, student_id);
      },
      other_students);
  return index_.load(**tx);
}

consent::Decision ConsentService::decide(const std::string& student_id, const consent::Recipient& recipient,
                                         const std::string& purpose, const std::vector<std::string>& categories,
                                         TimePoint at, const std::string& legal_basis) const {
  {
    std::shared_lock lock(mu_);
    if (index_.holds(student_id)) return index_.decide(student_id, recipient, purpose, categories, at, legal_basis);
  }
  std::unique_lock lock(mu_);
  if (Status st = index_.admit(student_id); !st) {
    log::warn("consent: cannot read a student, so its data is denied", {{"error", st.message()}});
    consent::Decision out;
    for (const auto& c : categories)
      out.categories.push_back({c, false, {}, "student " + student_id + " could not be read: " + st.message()});
    return out;
  }
  return index_.decide(student_id, recipient, purpose, categories, at, legal_basis);
}

ConsentGate::ConsentGate(const ConsentService& consent, const schema::SchemaSet& schemas,
                         const plugin_host::PluginHost& host)
    : consent_(consent), schemas_(schemas), host_(host) {}

std::vector<schema::CategoryPath> ConsentGate::paths_for(const std::string& schema_name, const json& doc) const {
  if (schema_name.rfind("projection/", 0) != 0) return schemas_.categories(schema_name);
  std::vector<schema::CategoryPath> out;
  for (const auto& [member, _] : doc.items()) {
    if (!schemas_.has(member)) continue;
    for (const auto& p : schemas_.categories(member)) out.push_back({"/" + member + p.pointer, p.category});
  }
  return out;
}

std::shared_ptr<const consent::CategoryTree> ConsentGate::tree_for(const std::string& schema_name, const json& doc) {
  std::string key = schema_name;
  if (schema_name.rfind("projection/", 0) == 0) {
    for (const auto& [member, _] : doc.items()) {
      if (!schemas_.has(member)) continue;
      key += '\n';
      key += member;
    }
  }
  {
    std::shared_lock lock(trees_mu_);
    if (auto it = trees_.find(key); it != trees_.end()) return it->second;
  }
  auto tree = std::make_shared<const consent::CategoryTree>(paths_for(schema_name, doc));
  std::unique_lock lock(trees_mu_);
  return trees_.emplace(std::move(key), std::move(tree)).first->second;  // the first one built wins
}

const std::vector<std::string>& ConsentGate::required_for(const std::string& connector) {
  std::lock_guard lock(mu_);
  auto it = required_.find(connector);
  if (it != required_.end()) return it->second;
  std::vector<std::string> req;
  if (auto m = host_.manifest(connector); m && m->document_schema)
    req = consent::required_pointers(*m->document_schema, &schemas_);
  return required_.emplace(connector, std::move(req)).first->second;
}

Result<outbox::GateResult> ConsentGate::decide(const outbox::RouteSpec& route, const std::string&,
                                               const std::string& student_id, const std::string& schema_name,
                                               const json& doc, TimePoint at) {
  if (route.purpose == "calendar" && schema_name == "projection/meeting") return decide_calendar(route, doc, at);
  const auto tree = tree_for(schema_name, doc);
  auto present = consent::categories_present(doc, *tree);
  const consent::Recipient recipient{route.recipient.organisation, route.recipient.role, route.recipient.name, ""};
  const auto decision = consent_.decide(student_id, recipient, route.purpose, present, at, route.legal_basis);
  const auto policy = route.denied == outbox::DeniedPolicy::redact ? consent::RoutePolicy::redact : consent::RoutePolicy::block;
  auto gated = consent::apply_gate(doc, *tree, decision, policy, required_for(route.connector));
  outbox::GateResult out;
  out.outcome = outcome_of(gated.outcome);
  out.document = std::move(gated.document);
  // Permitted leaves the document as it came: its categories are those found above.
  if (out.outcome == outbox::GateOutcome::permitted) out.categories = std::move(present);
  else if (out.outcome != outbox::GateOutcome::blocked) out.categories = consent::categories_present(out.document, *tree);
  out.denied = std::move(gated.denied_categories);
  out.consent_ids = std::move(gated.consent_ids);
  out.reasons = std::move(gated.reasons);
  return out;
}

// A calendar copy is the meeting as this recipient may see it (core/calendar): the consent index
// decides per slot, so a copy names a child only where consent (or own_child) allows.
outbox::GateResult ConsentGate::decide_calendar(const outbox::RouteSpec& route, const json& doc, TimePoint at) const {
  const consent::Recipient recipient{route.recipient.organisation, route.recipient.role, route.recipient.name, ""};
  const json meeting = doc.value("meeting", json::object());
  const json students = doc.value("students", json::object());
  auto view = calendar::view_for(
      meeting, recipient,
      [&](const std::string& student, const std::vector<std::string>& categories) {
        return consent_.decide(student, recipient, "calendar", categories, at, "");
      },
      [&](const std::string& student) -> std::optional<std::string> {
        if (!students.contains(student)) return std::nullopt;
        return calendar::display_name(students[student]);
      });
  outbox::GateResult out;
  if (!view) {
    out.outcome = outbox::GateOutcome::blocked;
    out.reasons = {"the recipient takes no part in meeting " + meeting.value("id", "")};
    return out;
  }
  out.outcome = outbox::GateOutcome::permitted;
  out.document = {{"event", calendar::event_json(*view, meeting.value("updated_at", ""))}};
  out.categories = view->categories;
  out.consent_ids = view->consent_ids;
  return out;
}

Status AuditLogSink::append(store::Transaction& tx, const outbox::AuditEvent& e) {
  audit::AuditEvent a;
  a.tenant = e.tenant.empty() ? "instance" : e.tenant;
  a.action = e.action;
  a.outcome = e.outcome;
  a.actor = e.actor.empty() ? "system" : e.actor;
  a.actor_role = e.actor_role.empty() ? (e.connector.empty() ? "system" : "connector") : e.actor_role;
  a.on_behalf_of = e.on_behalf_of;
  a.student_id = e.student_id;
  if (e.recipient.is_object() && !e.recipient.empty())
    a.recipient = audit::encode_recipient({e.recipient.value("organisation", ""), e.recipient.value("role", ""),
                                           e.recipient.value("name", "")});
  a.purpose = e.purpose;
  a.processing_activity = e.processing_activity;
  a.categories = e.categories;
  a.consent_ids = e.consent_ids;
  a.payload_sha256 = e.payload_sha256;
  a.trace_id = e.trace_id;
  a.reason = e.reason;
  if (!e.connector.empty()) {
    // Which connector and attempt belong to the delivery's story; the reason carries them.
    a.reason += (a.reason.empty() ? "" : "; ") + std::string("connector ") + e.connector +
                (e.attempt > 0 ? ", attempt " + std::to_string(e.attempt) : "") +
                (e.outbox_id > 0 ? ", outbox " + std::to_string(e.outbox_id) : "");
  }
  return writer_.append(tx, a).status();
}

outbox::DeliveryResult PluginDestination::deliver(const std::string& bytes, const std::string& key) {
  return delivery_result(plugin_host::PluginHost::await(host_.deliver(connector_, bytes, key)));
}

outbox::DeliveryResult PluginDestination::revoke(const json& receipt, const std::string& reason, const std::string&) {
  return delivery_result(plugin_host::PluginHost::await(host_.revoke(connector_, receipt.dump(), reason)));
}

Status RecordImporter::import(const std::string& connector, const std::string& stream, const json& record) {
  SCHAKEL_TRY(store_pending(connector));  // what came before is stored first
  // These change entities that kept events project: those events fire before the change.
  if (stream == "referral_status" || stream == "calendar_reply") SCHAKEL_TRY(fire_kept_for(connector, ""));
  if (stream == "referral_status") return import_referral_status(connector, record);
  if (stream == "meetings") return import_meeting(connector, record);
  if (stream == "calendar_reply") return import_calendar_reply(connector, record);
  // Other streams (e.g. rejected rows) are reported by their plugin, not stored.
  if (!stream_kind(stream)) return {};
  const bool queued = stream == "queued_referrals" && fire_;
  const json& doc = record.contains("record") ? record["record"] : record;
  if (queued) SCHAKEL_TRY(fire_kept_for(connector, doc.value("id", "")));
  SCHAKEL_TRY(import_entity(connector, stream, record));
  if (!queued) return {};
  // Stored first, fired second: a crash in between repeats the record (its source's cursor has
  // not moved), and the repeat's idempotency key (route, referral, version) queues nothing twice.
  return queue_event(connector, {"referral.queued", doc.value("id", ""), connector});
}

store::Entity RecordImporter::entity_of(const std::string& connector, store::Kind kind, const json& env) const {
  // Each member looked up once, and copied only when it is a string (as value() with a default).
  auto text = [](const json& o, const char* key) -> const std::string* {
    if (!o.is_object()) return nullptr;
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto record = env.find("record");
  const json& doc = record != env.end() ? *record : env;
  const std::string* id = text(doc, "id");
  store::Entity e;
  e.kind = kind;
  e.connector = connector;
  if (const std::string* key = text(env, "source_key")) e.source_key = *key;
  else if (id != nullptr) e.source_key = *id;
  if (const std::string* version = text(env, "source_version")) e.source_version = *version;
  if (auto active = env.find("active"); active != env.end() && active->is_boolean()) e.active = active->get<bool>();
  e.id = id != nullptr ? *id : connector + ":" + e.source_key;
  e.updated_at = clock_.now();
  if (kind == store::Kind::guardian)
    if (auto children = doc.find("children"); children != doc.end() && children->is_array() && !children->empty())
      if (const std::string* student = text(children->front(), "student_id")) e.student_id = *student;
  if (kind == store::Kind::referral)
    if (const std::string* student = text(doc, "student_id")) e.student_id = *student;
  // The school's tenant, as the API scopes tokens; a school not (yet) known keeps its id.
  if (const std::string* school = text(doc, "school_id")) e.tenant = *school;
  return e;
}

Status RecordImporter::store_entity(store::Transaction& tx, store::Entity& e, std::map<std::string, std::string>& tenants) {
  if (!e.tenant.empty()) {
    auto known = tenants.find(e.tenant);
    if (known == tenants.end()) {
      auto tenant = store::school_tenant(tx, e.tenant);
      if (!tenant) return tenant.status();
      known = tenants.emplace(e.tenant, *tenant ? **tenant : e.tenant).first;
    }
    e.tenant = known->second;
  }
  SCHAKEL_TRY(tx.upsert(e).status());
  if (e.kind == store::Kind::school) tenants.erase(e.id);  // later records see the stored school
  return {};
}

Status RecordImporter::index_entity(const store::Entity& e) {
  if (e.kind == store::Kind::student) return consent_.change([&](consent::ConsentIndex& i) { return i.apply_student(e.doc); });
  if (e.kind == store::Kind::guardian) return consent_.change([&](consent::ConsentIndex& i) { return i.apply_guardian(e.doc); });
  return {};
}

Status RecordImporter::import_entity(const std::string& connector, const std::string& stream, const json& env) {
  store::Entity e = entity_of(connector, *stream_kind(stream), env);
  e.doc = env.contains("record") ? env["record"] : env;
  Status st = store_.write([&](store::Transaction& tx) -> Status {
    std::map<std::string, std::string> tenants;
    return store_entity(tx, e, tenants);
  });
  if (!st) return st;
  return index_entity(e);
}

Status RecordImporter::import_meeting(const std::string& connector, const json& record) {
  json doc = record;
  const std::string id = doc.value("id", "");
  json& owner = doc["owner"];
  // Only a meeting's owner changes its time and agenda (issue 9): an imported meeting is owned by
  // the connector that emitted it, which the importer knows (the feed need not be told its id).
  if (owner.is_object() && owner.value("kind", "") == "connector" && !owner.contains("connector_id"))
    owner["connector_id"] = connector;
  if (!owner.is_object() || owner.value("kind", "") != "connector" || owner.value("connector_id", "") != connector)
    return error(ErrorCode::invalid, "meeting " + id + ": /owner must be {kind: connector} of connector " + connector);
  if (fire_) SCHAKEL_TRY(fire_kept_for(connector, id));
  std::string trigger;
  const Status st = store_.write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::meeting, id);
    if (!existing) return existing.status();
    if (*existing && (*existing)->connector != connector)
      return error(ErrorCode::conflict, "meeting " + id + " is owned by " +
                                            ((*existing)->connector.empty() ? std::string("Schakel") : (*existing)->connector) +
                                            "; only its owner changes it");
    store::Entity e;
    e.kind = store::Kind::meeting;
    e.id = id;
    e.connector = connector;
    e.doc = doc;
    // The recipients' replies are theirs, not the feed's: a new version of the meeting keeps them.
    if (*existing && (*existing)->doc.contains("replies")) e.doc["replies"] = (*existing)->doc["replies"];
    e.source_key = id;
    // The feed has no version of its own; a later import is a later version.
    e.source_version = format_utc(clock_.now());
    e.updated_at = clock_.now();
    e.tenant = doc.value("school_id", "");
    auto tenant = store::school_tenant(tx, e.tenant);
    if (!tenant) return tenant.status();
    if (*tenant) e.tenant = **tenant;
    auto outcome = tx.upsert(e);
    if (!outcome) return outcome.status();
    if (*outcome == store::UpsertOutcome::inserted) {
      // A meeting first seen cancelled reached no calendar: there is nothing to tell anyone.
      if (doc.value("status", "") != "cancelled") trigger = "meeting.planned";
    } else if (*outcome == store::UpsertOutcome::updated) {
      trigger = doc.value("status", "") == "cancelled" ? "meeting.cancelled" : "meeting.changed";
    }
    return Status{};
  });
  if (!st || trigger.empty() || !fire_) return st;
  // Stored first, fired second, as for queued referrals: a repeat queues nothing twice.
  return queue_event(connector, {trigger, id, connector});
}

namespace {

// The meeting a calendar UID belongs to (a school year holds a few hundred meetings at most).
Result<std::optional<store::Entity>> meeting_by_uid(store::Transaction& tx, const std::string& uid) {
  store::EntityQuery query;
  query.kind = store::Kind::meeting;
  for (;;) {
    auto page = tx.list(query);
    if (!page) return page.status();
    for (auto& e : *page) {
      if (e.doc.value("ical_uid", "") == uid) return std::optional<store::Entity>(std::move(e));
    }
    if (static_cast<int>(page->size()) < query.limit) return std::optional<store::Entity>{};
    query.after_id = page->back().id;
  }
}

}  // namespace

Status RecordImporter::import_calendar_reply(const std::string& connector, const json& reply) {
  const std::string uid = reply.value("uid", "");
  const std::string attendee = reply.value("attendee", "");
  const std::string partstat = reply.value("partstat", "");
  const std::string observed_at = reply.value("observed_at", "");
  if (uid.empty() || attendee.empty() || partstat.empty() || observed_at.empty())
    return error(ErrorCode::invalid, "calendar_reply record needs uid, attendee, partstat and observed_at");
  return store_.write([&](store::Transaction& tx) -> Status {
    auto found = meeting_by_uid(tx, uid);
    if (!found) return found.status();
    if (!*found) return error(ErrorCode::not_found, "calendar_reply: no meeting has UID " + uid);
    store::Entity e = std::move(**found);
    json& replies = e.doc["replies"];
    if (!replies.is_array()) replies = json::array();
    const json entry = {{"attendee", attendee}, {"partstat", partstat}, {"observed_at", observed_at}, {"connector", connector}};
    auto same = std::find_if(replies.begin(), replies.end(), [&](const json& r) { return r.value("attendee", "") == attendee; });
    if (same == replies.end()) {
      replies.push_back(entry);
    } else if (same->value("observed_at", "") < observed_at && (*same)["partstat"] != partstat) {
      *same = entry;
    } else {
      return Status{};  // the same reply again, or an older one
    }
    e.updated_at = clock_.now();
    SCHAKEL_TRY(tx.put(e));
    audit::AuditEvent a;
    a.tenant = e.tenant.empty() ? "instance" : e.tenant;
    a.action = "import";
    a.outcome = "ok";
    a.actor = connector;
    a.actor_role = "connector";
    a.categories = {"meeting"};
    a.payload = reply.dump();
    a.reason = "meeting " + e.id + ": a recipient replied " + partstat;
    return audit_.append(tx, a).status();
  });
}

Status RecordImporter::import_referral_status(const std::string& connector, const json& s) {
  const std::string referral_id = s.value("referentie", "");
  const std::string portal_id = s.value("id", s.value("portal_id", ""));
  const auto status = referral_status(s.value("status", ""));
  if (referral_id.empty() || !status)
    return error(ErrorCode::invalid, "referral_status record without referentie or with an unknown status");
  return store_.write([&](store::Transaction& tx) -> Status {
    auto found = tx.get(store::Kind::referral, referral_id);
    if (!found) return found.status();
    if (!found.value()) return error(ErrorCode::not_found, "referral " + referral_id + " is not known here");
    store::Entity e = **found;
    const std::string changed = s.value("gewijzigd_op", "");
    // The same change may come twice; an older one never overwrites a newer. The portal's times
    // have whole seconds, so changes of the same second apply in the order the portal lists them.
    if (!changed.empty() && e.doc.value("status_changed_at", "") > changed) return Status{};
    e.doc["status"] = *status;
    if (!portal_id.empty()) e.doc["portal_id"] = portal_id;
    if (!changed.empty()) e.doc["status_changed_at"] = changed;
    if (s.contains("toelichting")) e.doc["status_explanation"] = s["toelichting"];
    if (s.contains("besluit")) e.doc["decision"] = decision_of(s["besluit"]);
    e.updated_at = clock_.now();
    SCHAKEL_TRY(tx.put(e));
    audit::AuditEvent a;
    a.tenant = e.tenant.empty() ? "instance" : e.tenant;
    a.action = "import";
    a.outcome = "ok";
    a.actor = connector;
    a.actor_role = "connector";
    a.student_id = e.student_id;
    a.purpose = "swv_request";
    a.categories = s.contains("besluit") ? std::vector<std::string>{"education"} : std::vector<std::string>{};
    a.payload = s.dump();
    a.reason = "referral " + referral_id + " status " + *status;
    return audit_.append(tx, a).status();
  });
}

}  // namespace schakel::daemon
