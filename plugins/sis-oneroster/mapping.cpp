#include "mapping.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "base/json_text.hpp"

namespace schakel::sis_oneroster {
namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

Status invalid(const std::string& what) { return Status(ErrorCode::invalid, what); }

// At most `bytes` of `s`, cut before a character, never inside one.
std::string_view utf8_prefix(std::string_view s, std::size_t bytes) {
  if (s.size() <= bytes) return s;
  while (bytes > 0 && (static_cast<unsigned char>(s[bytes]) & 0xC0u) == 0x80u) --bytes;
  return s.substr(0, bytes);
}

// The checks below are by hand: std::regex cost more than the rest of a row's mapping.
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; }

// ^[^@\s]+@[^@\s]+\.[^@\s]+$
bool valid_email(const std::string& s) {
  if (s.size() > 254 || std::any_of(s.begin(), s.end(), is_space)) return false;
  const auto at = s.find('@');
  if (at == 0 || at == std::string::npos || s.find('@', at + 1) != std::string::npos) return false;
  const auto dot = s.find('.', at + 2);  // a dot with something on either side of it
  return dot != std::string::npos && dot + 1 < s.size();
}
// ^(\+[1-9][0-9]{0,2}|0)[0-9 -]{6,16}[0-9]$
bool valid_phone(const std::string& s) {
  if (s.size() < 2 || !is_digit(s.back())) return false;
  auto body_ok = [&](std::size_t from) {
    if (from >= s.size()) return false;
    const std::size_t n = s.size() - 1 - from;  // the middle part, before the last digit
    if (n < 6 || n > 16) return false;
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from), s.end() - 1,
                       [](char ch) { return is_digit(ch) || ch == ' ' || ch == '-'; });
  };
  if (s[0] == '0') return body_ok(1);
  if (s[0] != '+' || s.size() < 2 || s[1] < '1' || s[1] > '9') return false;
  // The country code takes one to three digits; any split that leaves a valid rest will do.
  for (std::size_t cc = 1; cc <= 3 && 1 + cc < s.size(); ++cc) {
    if (cc > 1 && !is_digit(s[cc])) break;
    if (body_ok(1 + cc)) return true;
  }
  return false;
}

// Contact details that fit the schema; a malformed phone or address is left out rather than
// losing the whole person.
void write_contact(JsonWriter& w, const oneroster::User& u) {
  const bool email = !u.email.empty() && valid_email(u.email);
  const std::string& phone = !u.phone.empty() ? u.phone : u.sms;
  const bool has_phone = !phone.empty() && valid_phone(phone);
  if (!email && !has_phone) return;
  w.key("contact").open_object();
  if (email) w.member("email", u.email);
  if (has_phone) w.member("phone", phone);
  w.close_object();
}

}  // namespace

MappingConfig default_mapping_config() {
  MappingConfig c;
  c.voorvoegsels = {"van de", "van der", "van den", "van het", "van 't", "in 't", "in de", "in het",
                    "op de", "op den", "op 't", "uit de", "uit den", "uit het", "aan de", "bij de",
                    "van", "de", "den", "der", "het", "'t", "ten", "ter", "te", "la", "le", "du"};
  c.staff_roles = {{"teacher", "teacher"}, {"principal", "director"}, {"aide", "teacher"}};
  return c;
}

Result<NameParts> name_parts(const oneroster::User& u, const MappingConfig& c) {
  NameParts n;
  std::string family = trim(u.family_name);
  if (family.empty()) return invalid("familyName is empty");
  n.voornamen = trim(u.given_name);
  n.roepnaam = trim(u.preferred_given_name);
  std::string middle = trim(u.middle_name);
  if (!middle.empty()) {
    if (c.middle_name_is == "given_names") {
      n.voornamen = n.voornamen.empty() ? middle : n.voornamen + " " + middle;
    } else {
      n.voorvoegsel = middle;
    }
  }
  if (n.voorvoegsel.empty() && c.split_family_name) {
    // Longest voorvoegsel first, at a word boundary, with a name left after it. Case matters: a
    // capitalised "De" or "El" (Belgian, Arabic names) belongs to the achternaam itself.
    std::string best;
    const std::string& lf = family;
    for (const auto& v : c.voorvoegsels)
      if (v.size() > best.size() && lf.size() > v.size() + 1 && lf.compare(0, v.size(), v) == 0 &&
          lf[v.size()] == ' ')
        best = v;
    if (!best.empty()) {
      n.voorvoegsel = family.substr(0, best.size());
      family = trim(family.substr(best.size()));
    }
  }
  n.achternaam = family;
  if (!n.voorvoegsel.empty() &&
      !std::all_of(n.voorvoegsel.begin(), n.voorvoegsel.end(),
                   [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) || ch == '\'' || ch == ' '; }))
    return invalid("the voorvoegsel has characters other than letters, ' and spaces");
  return n;
}

void write_naam(JsonWriter& w, const NameParts& n) {
  w.key("naam").open_object().member("achternaam", n.achternaam);
  if (!n.roepnaam.empty()) w.member("roepnaam", n.roepnaam);
  if (!n.voornamen.empty()) w.member("voornamen", n.voornamen);
  if (!n.voorvoegsel.empty()) w.member("voorvoegsel", n.voorvoegsel);
  w.close_object();
}

Result<std::string> hub_id(const std::string& kind, const std::string& sourced_id) {
  // ^[A-Za-z0-9._:-]{1,100}$
  auto allowed = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == ':' || ch == '-';
  };
  if (sourced_id.empty() || sourced_id.size() > 100 || !std::all_of(sourced_id.begin(), sourced_id.end(), allowed))
    return invalid("sourcedId has characters outside [A-Za-z0-9._:-] or is over 100 characters");
  return kind + "-" + sourced_id;
}

Result<std::string> map_school(const oneroster::Org& o, const MappingConfig& c) {
  static const std::regex re(R"(^([0-9]{2}[A-Z]{2})([0-9]{2})?$)");
  std::smatch m;
  if (!std::regex_match(o.identifier, m, re))
    return invalid("identifier is not a BRIN with an optional vestiging (e.g. 12AB or 12AB01)");
  if (o.name.empty()) return invalid("name is empty");
  auto id = hub_id("school", o.sourced_id);
  if (!id) return id.status();
  std::string out;
  JsonWriter(out).open_object().member("brin", m[1].str()).member("id", *id).member("naam", o.name)
      .member("swv_code", c.swv_code).member("vestiging", m[2].matched ? m[2].str() : "00").close_object();
  return out;
}

std::optional<int> jaargroep_of(const std::vector<std::string>& grades) {
  for (const auto& g : grades) {
    if (g.empty() || g.size() > 2 || !std::all_of(g.begin(), g.end(), ::isdigit)) continue;
    int v = std::stoi(g);
    if (v >= 1 && v <= 8) return v;
  }
  return std::nullopt;
}

Result<std::string> map_student(const oneroster::User& u, const StudentExtra& extra, const MappingConfig& c) {
  auto id = hub_id("student", u.sourced_id);
  if (!id) return id.status();
  if (extra.school_sourced_id.empty()) return invalid("the student has no school (orgSourcedIds)");
  auto school = hub_id("school", extra.school_sourced_id);
  if (!school) return school.status();
  auto naam = name_parts(u, c);
  if (!naam) return naam.status();
  if (extra.demographics == nullptr || extra.demographics->birth_date.empty())
    return invalid("no birthDate in demographics.csv");
  // The last identifier of a type wins, as it did in a document.
  const std::string* eckid = nullptr;
  const std::string* bsn = nullptr;
  for (const auto& uid : u.user_ids) {
    auto type = lower(uid.type);
    if (c.allow_eckid && (type == "eckid" || type == "eck-id" || type == "eck id")) eckid = &uid.value;
    if (c.allow_bsn && (type == "bsn" || type == "pgn")) bsn = &uid.value;
  }
  std::string out;
  JsonWriter w(out);
  w.open_object().member("birth_date", extra.demographics->birth_date);
  if (bsn != nullptr) w.member("bsn", *bsn);
  if (eckid != nullptr) w.member("eckid", *eckid);
  const auto& sex = extra.demographics->sex;
  if (sex == "male" || sex == "female") w.member("gender", sex);
  else if (sex == "other") w.member("gender", "x");
  else if (sex == "unspecified") w.member("gender", "unknown");
  if (!extra.groep.empty()) w.member("groep", utf8_prefix(extra.groep, 32));
  w.member("id", *id);
  if (auto j = extra.jaargroep ? extra.jaargroep : jaargroep_of(u.grades)) w.key("jaargroep").integer(*j);
  w.member("las_key", u.sourced_id);
  write_naam(w, *naam);
  w.member("school_id", *school).member("status", u.to_be_deleted ? "left" : "active").close_object();
  return out;
}

std::optional<std::string> guardian_relation(const std::string& role) {
  if (role == "parent") return "parent";
  if (role == "guardian") return "guardian";
  if (role == "relative") return "other";
  return std::nullopt;
}

std::string gezag_of(const oneroster::User& u, const MappingConfig& c) {
  if (c.gezag_column.empty()) return "unknown";
  auto it = u.metadata.find(c.gezag_column);
  if (it == u.metadata.end()) return "unknown";
  auto v = lower(trim(it->second));
  if (v == "yes" || v == "ja" || v == "true" || v == "1") return "yes";
  if (v == "no" || v == "nee" || v == "false" || v == "0") return "no";
  return "unknown";  // never assume
}

Result<std::string> map_guardian(const oneroster::User& u, const std::vector<std::string>& children,
                                 const MappingConfig& c) {
  auto id = hub_id("guardian", u.sourced_id);
  if (!id) return id.status();
  auto naam = name_parts(u, c);
  if (!naam) return naam.status();
  std::string relation;
  for (const auto& r : u.roles)
    if (auto rel = guardian_relation(r)) relation = *rel;
  if (relation.empty()) return invalid("the user has no parent, guardian or relative role");
  if (children.empty()) return invalid("the guardian is linked to no student (agentSourcedIds)");
  std::string out;
  JsonWriter w(out);
  const std::string gezag = gezag_of(u, c);
  w.open_object().key("children").open_array();
  for (const auto& child : children) {
    auto sid = hub_id("student", child);
    if (!sid) return sid.status();
    w.open_object().member("gezag", gezag).member("relation", relation).member("student_id", *sid).close_object();
  }
  w.close_array();
  write_contact(w, u);
  w.member("id", *id).member("las_key", u.sourced_id);
  write_naam(w, *naam);
  w.close_object();
  return out;
}

Result<std::string> staff_role(const oneroster::User& u, const std::string& oneroster_role,
                               const MappingConfig& c) {
  static const std::vector<std::string> k_roles = {
      "director", "ib", "teacher", "orthopedagogue", "youth_nurse", "school_social_worker",
      "family_specialist", "education_specialist", "wijkteam_worker", "attendance_officer"};
  if (!c.role_column.empty()) {
    auto it = u.metadata.find(c.role_column);
    if (it != u.metadata.end() && !it->second.empty()) {
      if (std::find(k_roles.begin(), k_roles.end(), it->second) == k_roles.end())
        return invalid(c.role_column + " '" + it->second + "' is not a Schakel staff role");
      return it->second;
    }
  }
  auto it = c.staff_roles.find(oneroster_role);
  if (it == c.staff_roles.end()) return invalid("role '" + oneroster_role + "' has no Schakel role in staff_roles");
  return it->second;
}

Result<std::string> map_staff(const oneroster::User& u, const std::string& role,
                              const std::string& school_sourced_id, const MappingConfig& c) {
  auto id = hub_id("staff", u.sourced_id);
  if (!id) return id.status();
  if (school_sourced_id.empty()) return invalid("the staff member has no school (orgSourcedIds)");
  auto school = hub_id("school", school_sourced_id);
  if (!school) return school.status();
  auto naam = name_parts(u, c);
  if (!naam) return naam.status();
  std::string out;
  JsonWriter w(out);
  w.open_object();
  write_contact(w, u);
  w.member("id", *id);
  write_naam(w, *naam);
  w.member("role", role).member("school_id", *school).member("status", u.to_be_deleted ? "left" : "active");
  w.close_object();
  return out;
}

}  // namespace schakel::sis_oneroster
