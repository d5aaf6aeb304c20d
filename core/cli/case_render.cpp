#include "cli/case_render.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>

#include "audit/entry.hpp"
#include "cli/live.hpp"

namespace schakel::cli::render {
namespace {

std::string text(const json& b, const char* key) {
  if (!b.is_object() || !b.contains(key)) return "-";
  return cell_text(b[key]);
}

// "Anna de Vries" from a naam object (roepnaam or voornamen, voorvoegsel, achternaam).
std::string naam(const json& n) {
  if (!n.is_object()) return "-";
  std::string out = n.value("roepnaam", n.value("voornamen", std::string()));
  for (const char* part : {"voorvoegsel", "achternaam"}) {
    const std::string p = n.value(part, std::string());
    if (!p.empty()) out += (out.empty() ? "" : " ") + p;
  }
  return out.empty() ? "-" : out;
}

// "Loket (education_specialist, SWV ...)" from {organisation, role, name}.
std::string recipient(const json& r) {
  if (!r.is_object()) return cell_text(r);
  std::string who = r.value("name", std::string());
  std::string rest;
  for (const char* part : {"role", "organisation"}) {
    const std::string p = r.value(part, std::string());
    if (!p.empty()) rest += (rest.empty() ? "" : ", ") + p;
  }
  if (who.empty()) return rest.empty() ? "-" : rest;
  return rest.empty() ? who : who + " (" + rest + ")";
}

std::string grantors(const json& list) {
  std::string out;
  for (const auto& g : list.is_array() ? list : json::array()) {
    const std::string one = g.value("kind", "") == "guardian" ? "guardian " + g.value("guardian_id", "")
                                                              : g.value("kind", std::string("?"));
    out += (out.empty() ? "" : ", ") + one;
  }
  return out.empty() ? "-" : out;
}

std::string recipients(const json& list) {
  std::string out;
  for (const auto& r : list.is_array() ? list : json::array()) out += (out.empty() ? "" : "; ") + recipient(r);
  return out.empty() ? "-" : out;
}

// "name: value" lines in the order given (a json object would sort them).
void fields(std::initializer_list<std::pair<std::string, json>> list, std::ostream& out) {
  std::size_t w = 0;
  for (const auto& [k, v] : list) w = std::max(w, k.size());
  for (const auto& [k, v] : list) out << k << ":" << std::string(w - k.size() + 1, ' ') << cell_text(v) << "\n";
}

// A blocked route's reason matters most to the IB: said in full below the table.
void blocked_reasons(const json& routes, std::ostream& out) {
  for (const auto& r : routes.is_array() ? routes : json::array()) {
    if (r.value("outcome", "") == "blocked")
      out << "blocked (" << r.value("route_id", "") << "): " << r.value("reason", std::string("no reason given")) << "\n";
  }
}

}  // namespace

void routes(const json& list, std::ostream& out) {
  if (!list.is_array() || list.empty()) {
    out << "no route fired\n";
    return;
  }
  print_table(list, {{"ROUTE", "route_id"}, {"OUTCOME", "outcome"}, {"GATE", "gate"}, {"OUTBOX", "outbox_id"},
                     {"DUPLICATE", "duplicate"}, {"REASON", "reason"}},
              out);
  blocked_reasons(list, out);
}

void student_recorded(const json& b, std::ostream& out) {
  out << "recorded student " << text(b, "id") << " (" << naam(b.value("naam", json())) << ", school "
      << text(b, "school_id") << ")\n";
}

void guardian_recorded(const json& b, std::ostream& out) {
  std::string children;
  for (const auto& c : b.value("children", json::array()))
    children += (children.empty() ? "" : ", ") + c.value("student_id", "") + " (gezag " + c.value("gezag", "?") + ")";
  out << "recorded guardian " << text(b, "id") << " (" << naam(b.value("naam", json())) << "), children: "
      << (children.empty() ? "-" : children) << "\n";
}

void case_created(const json& b, std::ostream& out) {
  out << "created case " << text(b, "id") << " at stage " << text(b, "stage") << " (version " << text(b, "version")
      << ")\n";
}

void stage_changed(const json& b, std::ostream& out) {
  if (!b.value("changed", true)) {
    out << "case " << text(b, "id") << " is already at stage " << text(b, "stage") << "\n";
    return;
  }
  out << "case " << text(b, "id") << " moved to stage " << text(b, "stage") << " (version " << text(b, "version")
      << ")\n";
  routes(b.value("routes", json::array()), out);
}

void agreement_added(const json& b, std::ostream& out) {
  out << "case " << text(b, "case_id") << ": agreement " << text(b, "index") << " added (version "
      << text(b, "version") << ")\n";
}

void consent_recorded(const json& b, std::ostream& out) {
  out << "recorded consent " << text(b, "id") << " for student " << text(b, "student_id") << "\n";
  fields({{"status", b.value("status", json())},
                {"granted by", grantors(b.value("grantors", json()))},
                {"recipients", recipients(b.value("recipients", json()))},
                {"purposes", b.value("purposes", json())},
                {"categories", b.value("categories", json())},
                {"valid", text(b, "valid_from") + " until " +
                              (b.contains("valid_until") ? text(b, "valid_until") : std::string("withdrawn"))}},
               out);
}

void consent_withdrawn(const json& b, std::ostream& out) {
  const json c = b.value("consent", json::object());
  out << "withdrew consent " << text(c, "id") << " of student " << text(c, "student_id") << "\n";
  if (b.value("revocation", "") == "queued") {
    out << "what waited under it is dropped; revocations of what was delivered are queued\n";
  } else {
    out << "revocations: " << text(b, "revocation") << ": " << text(b, "revocation_error") << "\n";
  }
}

void referral_queued(const json& b, std::ostream& out) {
  out << "referral " << text(b, "id") << ": " << text(b, "status") << " (version " << text(b, "version") << ")\n";
  routes(b.value("routes", json::array()), out);
}

void supplement_sent(const json& b, std::ostream& out) {
  out << "referral " << text(b, "referral_id") << ": answer " << text(b, "index") << " recorded (version "
      << text(b, "version") << ")\n";
  routes(b.value("routes", json::array()), out);
}

void meeting_planned(const json& b, std::ostream& out) {
  out << "planned meeting " << text(b, "id") << " (version " << text(b, "version") << ", sequence "
      << text(b, "sequence") << ")\n";
  routes(b.value("routes", json::array()), out);
}

void meeting_changed(const json& b, std::ostream& out) {
  if (!b.value("changed", true)) {
    out << "meeting " << text(b, "id") << " unchanged\n";
    return;
  }
  out << "meeting " << text(b, "id") << ": " << text(b, "event") << " (version " << text(b, "version")
      << ", sequence " << text(b, "sequence") << ")\n";
  routes(b.value("routes", json::array()), out);
}

void document(const json& b, std::ostream& out) { print_flat(b, out); }

void consent_list(const json& b, std::ostream& out) {
  json rows = json::array();
  for (const auto& c : b.value("consents", json::array())) {
    rows.push_back({{"id", c.value("id", "")},
                    {"status", c.value("status", "")},
                    {"purposes", c.value("purposes", json::array())},
                    {"categories", c.value("categories", json::array())},
                    {"from", c.value("valid_from", json())},
                    {"until", c.value("valid_until", json())},
                    {"granted_by", grantors(c.value("grantors", json()))},
                    {"recipients", recipients(c.value("recipients", json()))}});
  }
  out << "consents of student " << text(b, "student_id") << "\n";
  print_table(rows, {{"ID", "id"}, {"STATUS", "status"}, {"PURPOSES", "purposes"}, {"CATEGORIES", "categories"},
                     {"FROM", "from"}, {"UNTIL", "until"}, {"GRANTED BY", "granted_by"}, {"RECIPIENTS", "recipients"}},
              out);
}

void referral(const json& b, std::ostream& out) {
  const json doc = b.value("referral", json::object());
  fields({{"referral", doc.value("id", json())},
                {"student", doc.value("student_id", json())},
                {"case", doc.value("case_id", json())},
                {"type", doc.value("type", json())},
                {"status", b.value("status", json())},
                {"decision", b.value("decision", json())},
                {"portal id", b.value("portal_id", json())},
                {"blocked", b.value("blocked", false)}},
               out);
  for (const auto& reason : b.value("block_reasons", json::array())) out << "blocked because: " << cell_text(reason) << "\n";
  json decisions = json::array();
  for (auto d : b.value("decisions", json::array())) {
    d["to"] = recipient(d.value("recipient", json()));
    decisions.push_back(std::move(d));
  }
  out << "\ngate decisions\n";
  print_table(decisions, {{"SEQ", "seq"}, {"TIME", "time"}, {"EVENT", "event"}, {"OUTCOME", "outcome"},
                          {"CONSENTS", "consent_ids"}, {"CATEGORIES", "categories"}, {"TO", "to"}},
              out);
  out << "\ndeliveries\n";
  print_table(b.value("deliveries", json::array()),
              {{"OUTBOX", "outbox_id"}, {"EVENT", "event"}, {"CONNECTOR", "connector"}, {"STATE", "state"},
               {"ATTEMPTS", "attempts"}, {"DELIVERED", "delivered_at"}, {"LAST ERROR", "last_error"}},
              out);
}

void audit_entries(const json& b, std::ostream& out) {
  json rows = json::array();
  for (auto e : b.value("entries", json::array())) {
    e["to"] = e.value("recipient", "").empty() ? "-" : audit::describe_recipient(e.value("recipient", ""));
    rows.push_back(std::move(e));
  }
  print_table(rows, {{"SEQ", "seq"}, {"TIME", "time"}, {"ACTION", "action"}, {"OUTCOME", "outcome"},
                     {"ACTOR", "actor"}, {"ROLE", "actor_role"}, {"PURPOSE", "purpose"}, {"CATEGORIES", "categories"},
                     {"CONSENTS", "consent_ids"}, {"TO", "to"}},
              out);
  if (b.value("more", false)) out << "(more: --after " << text(b, "next_after") << ")\n";
}

void audit_verified(const json& b, std::ostream& out) {
  out << (b.value("ok", false) ? "audit log intact: " : "AUDIT LOG DAMAGED: ") << text(b, "summary") << "\n";
  fields({{"entries", b.value("entries", json())},
                {"last seq", b.value("last_seq", json())},
                {"checkpoints", b.value("checkpoints", json())}},
               out);
  if (!b.value("findings", json::array()).empty()) {
    print_table(b["findings"], {{"PROBLEM", "problem"}, {"SEQ", "seq"}, {"CHECKPOINT", "checkpoint"}, {"MESSAGE", "message"}},
                out);
  }
}

void access_report(const json& b, std::ostream& out) {
  out << "disclosures concerning student " << text(b, "student_id") << " (AVG art. 15), generated "
      << text(b, "generated_at") << "\n";
  json rows = json::array();
  for (auto d : b.value("disclosures", json::array())) {
    d["to"] = recipient(d.value("recipient", json()));
    rows.push_back(std::move(d));
  }
  print_table(rows, {{"SEQ", "seq"}, {"DATE", "date"}, {"OUTCOME", "outcome"}, {"PURPOSE", "purpose"},
                     {"CATEGORIES", "categories"}, {"CONSENTS", "consent_ids"}, {"TO", "to"}},
              out);
}

}  // namespace schakel::cli::render
