#include "consent/types.hpp"

#include <algorithm>
#include <cstdio>

#include "schema/schema_set.hpp"

namespace schakel::consent {
namespace {

using nlohmann::json;

const std::vector<std::string> k_purposes = {"ot_meeting", "swv_request", "youth_health",
                                             "wijkteam_referral", "calendar"};
const std::vector<std::string> k_roles = {
    "director",        "ib",          "teacher",         "orthopedagogue",
    "youth_nurse",     "school_social_worker", "family_specialist", "education_specialist",
    "wijkteam_worker", "attendance_officer",   "parent",            "student"};
const std::vector<std::string> k_education_roles = {"director",       "ib",
                                                    "teacher",        "orthopedagogue",
                                                    "education_specialist", "attendance_officer"};
const std::vector<std::string> k_legal_bases = {"consent", "legal_obligation", "public_task",
                                                "vital_interest"};

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

Status bad(const std::string& where, const std::string& what) {
  return error(ErrorCode::invalid, where + ": " + what);
}

// Reads optional string member `key` of object `doc`; a present non-string is an error.
Status read_string(const json& doc, const std::string& where, const char* key, std::string& out,
                   bool required) {
  auto it = doc.find(key);
  if (it == doc.end()) return required ? bad(where + "/" + key, "required") : Status{};
  if (!it->is_string()) return bad(where + "/" + key, "must be a string");
  out = it->get<std::string>();
  if (required && out.empty()) return bad(where + "/" + key, "must not be empty");
  return {};
}

Status read_instant(const json& doc, const std::string& where, const char* key, TimePoint& out) {
  std::string text;
  SCHAKEL_TRY(read_string(doc, where, key, text, true));
  if (!parse_rfc3339(text, out)) return bad(where + "/" + key, "not an RFC 3339 date-time: '" + text + "'");
  return {};
}

Status read_list(const json& doc, const char* key, const std::vector<std::string>& allowed,
                 const char* what, std::vector<std::string>& out) {
  const std::string where = std::string("/") + key;
  auto it = doc.find(key);
  if (it == doc.end()) return bad(where, "required");
  if (!it->is_array() || it->empty()) return bad(where, "must be a non-empty array");
  std::size_t i = 0;
  for (const auto& v : *it) {
    const std::string at = where + "/" + std::to_string(i);
    if (!v.is_string()) return bad(at, "must be a string");
    auto s = v.get<std::string>();
    if (!contains(allowed, s)) return bad(at, std::string("unknown ") + what + " '" + s + "'");
    if (!contains(out, s)) out.push_back(std::move(s));
    ++i;
  }
  return {};
}

Result<ConsentRecord> parse(const json& doc) {
  if (!doc.is_object()) return bad("", "a consent must be a JSON object");
  ConsentRecord c;
  SCHAKEL_TRY(read_string(doc, "", "id", c.id, true));
  SCHAKEL_TRY(read_string(doc, "", "student_id", c.student_id, true));
  SCHAKEL_TRY(read_string(doc, "", "school_id", c.school_id, false));

  auto grantors = doc.find("grantors");
  if (grantors == doc.end()) return bad("/grantors", "required");
  if (!grantors->is_array() || grantors->empty()) return bad("/grantors", "must be a non-empty array");
  std::size_t i = 0;
  for (const auto& gj : *grantors) {
    auto g = grantor_from_json(gj, "/grantors/" + std::to_string(i++));
    if (!g) return g.status();
    if (std::find(c.grantors.begin(), c.grantors.end(), *g) == c.grantors.end()) c.grantors.push_back(*g);
  }

  auto recipients = doc.find("recipients");
  if (recipients == doc.end()) return bad("/recipients", "required");
  if (!recipients->is_array() || recipients->empty()) return bad("/recipients", "must be a non-empty array");
  i = 0;
  for (const auto& r : *recipients) {
    const std::string where = "/recipients/" + std::to_string(i++);
    if (!r.is_object()) return bad(where, "must be an object");
    ConsentRecipient rec;
    SCHAKEL_TRY(read_string(r, where, "organisation", rec.organisation, false));
    SCHAKEL_TRY(read_string(r, where, "role", rec.role, false));
    if (rec.organisation.empty() && rec.role.empty()) return bad(where, "needs an organisation or a role");
    if (!rec.role.empty() && !is_known_role(rec.role)) return bad(where + "/role", "unknown role '" + rec.role + "'");
    c.recipients.push_back(std::move(rec));
  }

  SCHAKEL_TRY(read_list(doc, "purposes", k_purposes, "purpose", c.purposes));
  SCHAKEL_TRY(read_list(doc, "categories", schema::known_categories(), "category", c.categories));

  std::string text;
  SCHAKEL_TRY(read_string(doc, "", "valid_from", text, true));
  auto from = parse_date(text);
  if (!from) return bad("/valid_from", "not a date (YYYY-MM-DD): '" + text + "'");
  c.valid_from = *from;
  if (doc.contains("valid_until")) {
    text.clear();
    SCHAKEL_TRY(read_string(doc, "", "valid_until", text, true));
    auto until = parse_date(text);
    if (!until) return bad("/valid_until", "not a date (YYYY-MM-DD): '" + text + "'");
    c.valid_until = *until;
  }

  std::string status = "active";
  SCHAKEL_TRY(read_string(doc, "", "status", status, false));
  if (status != "active" && status != "withdrawn")
    return bad("/status", "must be \"active\" or \"withdrawn\", not '" + status + "'");
  c.withdrawn = status == "withdrawn";
  if (auto w = doc.find("withdrawal"); w != doc.end()) {
    if (!w->is_object()) return bad("/withdrawal", "must be an object");
    Withdrawal wd;
    SCHAKEL_TRY(read_instant(*w, "/withdrawal", "at", wd.at));
    auto by = w->find("by");
    if (by == w->end()) return bad("/withdrawal/by", "required");
    auto g = grantor_from_json(*by, "/withdrawal/by");
    if (!g) return g.status();
    wd.by = *g;
    SCHAKEL_TRY(read_string(*w, "/withdrawal", "reason", wd.reason, false));
    c.withdrawal = std::move(wd);
  }
  if (c.withdrawn && !c.withdrawal) return bad("/withdrawal", "required when status is \"withdrawn\"");
  if (!c.withdrawn && c.withdrawal) return bad("/status", "must be \"withdrawn\" when a withdrawal is present");

  SCHAKEL_TRY(read_string(doc, "", "legal_basis", c.legal_basis, false));
  if (!contains(k_legal_bases, c.legal_basis)) return bad("/legal_basis", "unknown legal basis '" + c.legal_basis + "'");

  auto ev = doc.find("evidence");
  if (ev == doc.end()) return bad("/evidence", "required");
  if (!ev->is_object()) return bad("/evidence", "must be an object");
  SCHAKEL_TRY(read_string(*ev, "/evidence", "form_version", c.evidence.form_version, true));
  SCHAKEL_TRY(read_string(*ev, "/evidence", "recorded_by", c.evidence.recorded_by, true));
  SCHAKEL_TRY(read_instant(*ev, "/evidence", "recorded_at", c.evidence.recorded_at));
  if (auto d = ev->find("document"); d != ev->end()) c.evidence.document = *d;
  return c;
}

}  // namespace

std::optional<Date> parse_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  const int y = std::stoi(text.substr(0, 4));
  const auto m = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  const auto d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
  Date date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()), unsigned(d.day()));
  return buf;
}

int age_on(Date birth, Date on) {
  int age = int(on.year()) - int(birth.year());
  if (std::pair{unsigned(on.month()), unsigned(on.day())} < std::pair{unsigned(birth.month()), unsigned(birth.day())})
    --age;
  return age;
}

const std::vector<std::string>& purposes() { return k_purposes; }

int purpose_index(const std::string& purpose) {
  auto it = std::find(k_purposes.begin(), k_purposes.end(), purpose);
  return it == k_purposes.end() ? -1 : int(it - k_purposes.begin());
}

int category_index(const std::string& category) {
  const auto& all = schema::known_categories();
  auto it = std::find(all.begin(), all.end(), category);
  return it == all.end() ? -1 : int(it - all.begin());
}

const std::vector<std::string>& roles() { return k_roles; }
bool is_known_role(const std::string& role) { return contains(k_roles, role); }
bool is_education_role(const std::string& role) { return contains(k_education_roles, role); }

Result<Grantor> grantor_from_json(const json& doc, const std::string& where) {
  if (!doc.is_object()) return bad(where, "must be an object");
  std::string kind;
  SCHAKEL_TRY(read_string(doc, where, "kind", kind, true));
  Grantor g;
  if (kind == "student") {
    g.kind = GrantorKind::student;
    if (doc.contains("guardian_id")) return bad(where + "/guardian_id", "not allowed for kind student");
  } else if (kind == "guardian") {
    g.kind = GrantorKind::guardian;
    SCHAKEL_TRY(read_string(doc, where, "guardian_id", g.guardian_id, true));
  } else {
    return bad(where + "/kind", "must be \"guardian\" or \"student\", not '" + kind + "'");
  }
  return g;
}

json to_json(const Grantor& g) {
  if (g.kind == GrantorKind::student) return {{"kind", "student"}};
  return {{"kind", "guardian"}, {"guardian_id", g.guardian_id}};
}

std::string describe(const Grantor& g) {
  return g.kind == GrantorKind::student ? "the student" : "guardian " + g.guardian_id;
}

Result<ConsentRecord> consent_from_json(const json& doc) {
  try {
    return parse(doc);
  } catch (const std::exception& e) {  // defensive: nlohmann may throw on odd input
    return error(ErrorCode::invalid, std::string("consent: ") + e.what());
  }
}

json to_json(const ConsentRecord& c) {
  json j = {{"id", c.id}, {"student_id", c.student_id}};
  if (!c.school_id.empty()) j["school_id"] = c.school_id;
  j["grantors"] = json::array();
  for (const auto& g : c.grantors) j["grantors"].push_back(to_json(g));
  j["recipients"] = json::array();
  for (const auto& r : c.recipients) {
    json rj = json::object();
    if (!r.organisation.empty()) rj["organisation"] = r.organisation;
    if (!r.role.empty()) rj["role"] = r.role;
    j["recipients"].push_back(std::move(rj));
  }
  j["purposes"] = c.purposes;
  j["categories"] = c.categories;
  j["valid_from"] = format_date(c.valid_from);
  if (c.valid_until) j["valid_until"] = format_date(*c.valid_until);
  j["status"] = c.withdrawn ? "withdrawn" : "active";
  if (c.withdrawal) {
    json w = {{"at", format_utc(c.withdrawal->at)}, {"by", to_json(c.withdrawal->by)}};
    if (!c.withdrawal->reason.empty()) w["reason"] = c.withdrawal->reason;
    j["withdrawal"] = std::move(w);
  }
  j["legal_basis"] = c.legal_basis;
  json ev = {{"form_version", c.evidence.form_version},
             {"recorded_by", c.evidence.recorded_by},
             {"recorded_at", format_utc(c.evidence.recorded_at)}};
  if (!c.evidence.document.is_null()) ev["document"] = c.evidence.document;
  j["evidence"] = std::move(ev);
  return j;
}

Result<Recipient> recipient_from_json(const json& doc) {
  try {
    if (!doc.is_object()) return bad("", "a recipient must be a JSON object");
    Recipient r;
    SCHAKEL_TRY(read_string(doc, "", "organisation", r.organisation, false));
    SCHAKEL_TRY(read_string(doc, "", "role", r.role, false));
    SCHAKEL_TRY(read_string(doc, "", "name", r.name, false));
    SCHAKEL_TRY(read_string(doc, "", "person_id", r.person_id, false));
    if (r.organisation.empty() && r.role.empty()) return bad("", "a recipient needs an organisation or a role");
    if (!r.role.empty() && !is_known_role(r.role)) return bad("/role", "unknown role '" + r.role + "'");
    return r;
  } catch (const std::exception& e) {
    return error(ErrorCode::invalid, std::string("recipient: ") + e.what());
  }
}

json to_json(const Recipient& r) {
  json j = {{"organisation", r.organisation}, {"role", r.role}, {"name", r.name}};
  if (!r.person_id.empty()) j["person_id"] = r.person_id;
  return j;
}

const CategoryDecision* Decision::find(const std::string& category) const {
  for (const auto& c : categories)
    if (c.category == category) return &c;
  return nullptr;
}

bool Decision::permitted(const std::string& category) const {
  const auto* c = find(category);
  return c != nullptr && c->permitted;
}

bool Decision::all_permitted() const {
  return std::all_of(categories.begin(), categories.end(), [](const auto& c) { return c.permitted; });
}

std::vector<std::string> Decision::consent_ids() const {
  std::vector<std::string> out;
  for (const auto& c : categories)
    if (c.permitted) out.insert(out.end(), c.consent_ids.begin(), c.consent_ids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

json to_json(const Decision& d) {
  json out = json::object();
  for (const auto& c : d.categories)
    out[c.category] = {{"permitted", c.permitted}, {"consent_ids", c.consent_ids}, {"reason", c.reason}};
  return out;
}

}  // namespace schakel::consent
