#include "oracle.hpp"

#include <chrono>
#include <cstdio>

namespace oracle {
namespace {

const std::vector<std::string> k_categories = {"identity", "identifier.bsn", "identifier.eckid", "contact",
                                               "education", "wellbeing", "health", "family",
                                               "case", "views", "meeting"};
const std::vector<std::string> k_purposes = {"ot_meeting", "swv_request", "youth_health", "wijkteam_referral",
                                             "calendar"};
const std::vector<std::string> k_education = {"director", "ib", "teacher", "orthopedagogue",
                                              "education_specialist", "attendance_officer"};

bool in(const std::vector<std::string>& list, const std::string& s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

bool in(const json& array, const std::string& s) {
  if (!array.is_array()) return false;
  for (const auto& x : array)
    if (x.is_string() && x.get<std::string>() == s) return true;
  return false;
}

std::string str(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
}

long long unix_of(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count() * 86400LL;
}

// The last Sunday of a month at 01:00 UTC: when Europe/Amsterdam changes its clocks.
long long last_sunday_1am(int y, unsigned m) {
  using namespace std::chrono;
  for (unsigned d = 31; d >= 25; --d) {
    const sys_days day_{year{y} / month{m} / day{d}};
    if (weekday{day_} == Sunday) return unix_of(y, m, d) + 3600;
  }
  return 0;
}

std::string day_string(long long unix_seconds) {
  using namespace std::chrono;
  long long days_ = unix_seconds / 86400;
  if (unix_seconds % 86400 < 0) --days_;
  const year_month_day ymd{sys_days{days{days_}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool recipient_matches(const json& consent, const json& r) {
  for (const auto& cr : consent.at("recipients")) {
    const std::string org = str(cr, "organisation"), role = str(cr, "role");
    if ((org.empty() || org == str(r, "organisation")) && (role.empty() || role == str(r, "role"))) return true;
  }
  return false;
}

void walk(const json& root, const json& node, std::vector<std::string>& path,
          const std::vector<std::pair<std::string, std::string>>& patterns, std::vector<Leaf>& out);

std::string category_of(const json& root, const std::vector<std::string>& path,
                        const std::vector<std::pair<std::string, std::string>>& patterns) {
  // An attachment: everything in it has the attachment's own category, default "case".
  const json* node = &root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    node = node->is_array() ? &node->at(std::stoul(path[i])) : &node->at(path[i]);
    if (path[i] == "attachments" && node->is_array()) {
      const json& element = node->at(std::stoul(path[i + 1]));
      const std::string own = str(element, "category");
      return own.empty() ? "case" : own;
    }
  }
  std::string best;
  std::size_t best_len = 0;
  for (const auto& [pattern, category] : patterns) {
    std::vector<std::string> tokens;
    for (std::size_t pos = 1; pos <= pattern.size();) {
      const auto next = pattern.find('/', pos);
      const auto end = next == std::string::npos ? pattern.size() : next;
      tokens.push_back(pattern.substr(pos, end - pos));
      pos = end + 1;
    }
    if (tokens.size() > path.size() || tokens.size() < best_len) continue;
    bool match = true;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] != "*" && tokens[i] != path[i]) match = false;
    if (match) {
      best = category;
      best_len = tokens.size();
    }
  }
  return best;
}

void walk(const json& root, const json& node, std::vector<std::string>& path,
          const std::vector<std::pair<std::string, std::string>>& patterns, std::vector<Leaf>& out) {
  if ((node.is_object() || node.is_array()) && !node.empty()) {
    std::size_t index = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++index) {
      path.push_back(node.is_object() ? it.key() : std::to_string(index));
      walk(root, *it, path, patterns, out);
      path.pop_back();
    }
    return;
  }
  Leaf leaf{path, "", node, category_of(root, path, patterns)};
  const json* cursor = &root;
  for (const auto& token : path) {
    leaf.shape += "/" + (cursor->is_array() ? std::string("*") : token);
    cursor = cursor->is_array() ? &cursor->at(std::stoul(token)) : &cursor->at(token);
  }
  out.push_back(std::move(leaf));
}

}  // namespace

std::string amsterdam_day(long long unix_seconds) {
  const int y = std::stoi(day_string(unix_seconds).substr(0, 4));
  const bool summer = unix_seconds >= last_sunday_1am(y, 3) && unix_seconds < last_sunday_1am(y, 10);
  return day_string(unix_seconds + (summer ? 7200 : 3600));
}

int age(const std::string& birth, const std::string& today) {
  const int born = std::stoi(birth.substr(0, 4));
  const int now = std::stoi(today.substr(0, 4));
  int years = 0;
  for (int y = born + 1; y <= now; ++y) {
    std::string month_day = birth.substr(5);
    if (month_day == "02-29" && !leap(y)) month_day = "03-01";
    char year_text[16];
    std::snprintf(year_text, sizeof year_text, "%04d", y);
    if (std::string(year_text) + "-" + month_day <= today) years = y - born;
  }
  return years;
}

std::string gezag_of(const World& w, const std::string& guardian_id) {
  auto it = w.guardians.find(guardian_id);
  if (it == w.guardians.end()) return "";
  for (const auto& child : it->second.at("children")) {
    if (str(child, "student_id") != str(w.student, "id")) continue;
    const std::string g = str(child, "gezag");
    const bool confirmed = child.contains("gezag_confirmed") && child["gezag_confirmed"].is_object() &&
                           !child["gezag_confirmed"].empty();
    return g == "unknown" && confirmed ? "unknown-confirmed" : g;
  }
  return "";
}

bool is_guardian_of_student(const World& w, const std::string& guardian_id) {
  return !gezag_of(w, guardian_id).empty();
}

bool gezag_counts(const World& w, const std::string& guardian_id) {
  const std::string g = gezag_of(w, guardian_id);
  return g == "yes" || g == "unknown-confirmed";
}

bool permitted(const World& w, const json& recipient, const std::string& purpose, const std::string& category,
               long long unix_seconds, const std::string& legal_basis) {
  if (!in(k_categories, category) || !in(k_purposes, purpose)) return false;
  const std::string today = amsterdam_day(unix_seconds);
  const int years = age(str(w.student, "birth_date"), today);
  const std::string role = str(recipient, "role"), person = str(recipient, "person_id");

  if (category == "identifier.eckid" && !in(k_education, role)) return false;
  if (category == "identifier.bsn" && legal_basis.empty()) return false;
  if (purpose == "calendar" && category != "identifier.bsn" && category != "identifier.eckid" &&
      category != "health" && !person.empty()) {
    if (role == "parent" && gezag_counts(w, person)) return true;
    if (role == "student" && person == str(w.student, "id") && years >= 16) return true;
  }

  std::vector<const json*> covering;
  for (const auto& c : w.consents)
    if (in(c.at("purposes"), purpose) && in(c.at("categories"), category) && recipient_matches(c, recipient))
      covering.push_back(&c);
  // A "no" from someone whose consent the age requires ends it for everyone.
  for (const json* c : covering) {
    if (str(*c, "status") != "withdrawn") continue;
    const json& by = c->at("withdrawal").at("by");
    if (str(by, "kind") == "student" && years >= 12) return false;
    if (str(by, "kind") == "guardian" && years < 16 && gezag_counts(w, str(by, "guardian_id"))) return false;
  }
  bool guardian_said_yes = false, student_said_yes = false;
  for (const json* c : covering) {
    if (str(*c, "status") == "withdrawn") continue;
    if (today < str(*c, "valid_from")) continue;
    if (c->contains("valid_until") && today > str(*c, "valid_until")) continue;
    for (const auto& g : c->at("grantors")) {
      if (str(g, "kind") == "student") student_said_yes = true;
      if (str(g, "kind") == "guardian" && gezag_counts(w, str(g, "guardian_id"))) guardian_said_yes = true;
    }
  }
  if (years < 12) return guardian_said_yes;
  if (years < 16) return guardian_said_yes && student_said_yes;
  return student_said_yes;
}

std::vector<Leaf> leaves(const json& doc, const std::vector<std::pair<std::string, std::string>>& patterns) {
  std::vector<Leaf> out;
  std::vector<std::string> path;
  walk(doc, doc, path, patterns, out);
  return out;
}

}  // namespace oracle
