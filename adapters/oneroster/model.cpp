#include "oneroster/model.hpp"

#include <algorithm>
#include <chrono>

#include "base/clock.hpp"

namespace schakel::oneroster {
namespace {

Status row_error(const Table& t, const std::string& field, const std::string& what) {
  return Status(ErrorCode::invalid, t.where() + ": " + field + ": " + what);
}

// Reads the fields every row has.
Status read_base(const Table& t, Base& b) {
  b.where = t.where();
  b.sourced_id = t.get("sourcedId");
  if (b.sourced_id.empty()) return row_error(t, "sourcedId", "is empty");
  const auto& status = t.get("status");
  if (status == "tobedeleted") {
    b.to_be_deleted = true;
  } else if (!status.empty() && status != "active") {
    return row_error(t, "status", "'" + status + "' is not active or tobedeleted");
  }
  const auto& dlm = t.get("dateLastModified");
  if (!dlm.empty()) {
    auto n = normalise_instant(dlm);
    if (!n) return row_error(t, "dateLastModified", "'" + dlm + "' is not an RFC 3339 date-time");
    b.date_last_modified = *n;
  }
  return Status::ok();
}

Status optional_date(const Table& t, const std::string& field, std::string& out) {
  out = t.get(field);
  if (!out.empty() && !valid_date(out)) return row_error(t, field, "'" + out + "' is not a date YYYY-MM-DD");
  return Status::ok();
}

}  // namespace

FileMode Manifest::mode(const std::string& file) const {
  auto it = files.find(file);
  return it == files.end() ? FileMode::absent : it->second;
}

Result<Manifest> read_manifest(const std::filesystem::path& bundle_dir) {
  auto t = Table::open(bundle_dir / "manifest.csv", {"propertyName", "value"});
  if (!t) return t.status();
  return read_manifest(**t, (bundle_dir / "manifest.csv").string());
}

Result<Manifest> read_manifest(Table& table, const std::string& manifest_name) {
  Table* t = &table;
  Manifest m;
  bool have_version = false;
  for (;;) {
    auto more = t->next();
    if (!more) return more.status();
    if (!*more) break;
    const auto& name = t->get("propertyName");
    const auto& value = t->get("value");
    if (name == "oneroster.version") {
      if (value == "1.1") m.version = Version::v1_1;
      else if (value == "1.2") m.version = Version::v1_2;
      else return Status(ErrorCode::invalid, t->where() + ": oneroster.version '" + value + "' is not 1.1 or 1.2");
      have_version = true;
    } else if (name.rfind("file.", 0) == 0) {
      FileMode mode;
      if (value == "bulk") mode = FileMode::bulk;
      else if (value == "delta") mode = FileMode::delta;
      else if (value == "absent") mode = FileMode::absent;
      else return Status(ErrorCode::invalid, t->where() + ": " + name + " '" + value + "' is not bulk, delta or absent");
      m.files[name.substr(5)] = mode;
    }
  }
  if (!have_version)
    return Status(ErrorCode::invalid, manifest_name + ": no oneroster.version row");
  return m;
}

const std::vector<std::string>& required_columns(const std::string& file, Version version) {
  static const std::vector<std::string> none;
  static const std::map<std::string, std::vector<std::string>> v11 = {
      {"orgs", {"sourcedId", "status", "dateLastModified", "name", "type"}},
      {"users", {"sourcedId", "status", "dateLastModified", "role", "givenName", "familyName"}},
      {"classes", {"sourcedId", "status", "dateLastModified", "title", "schoolSourcedId"}},
      {"enrollments", {"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"}},
      {"demographics", {"sourcedId", "status", "dateLastModified", "birthDate"}},
  };
  static const std::map<std::string, std::vector<std::string>> v12 = {
      {"orgs", {"sourcedId", "status", "dateLastModified", "name", "type"}},
      {"users", {"sourcedId", "status", "dateLastModified", "givenName", "familyName"}},
      {"roles", {"sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "orgSourcedId"}},
      {"classes", {"sourcedId", "status", "dateLastModified", "title", "schoolSourcedId"}},
      {"enrollments", {"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"}},
      {"demographics", {"sourcedId", "status", "dateLastModified", "birthDate"}},
  };
  const auto& table = version == Version::v1_1 ? v11 : v12;
  auto it = table.find(file);
  return it == table.end() ? none : it->second;
}

Result<Org> parse_org(const Table& t) {
  Org o;
  SCHAKEL_TRY(read_base(t, o));
  o.name = t.get("name");
  o.type = t.get("type");
  o.identifier = t.get("identifier");
  if (o.type.empty()) return row_error(t, "type", "is empty");
  return o;
}

Result<Demographics> parse_demographics(const Table& t) {
  Demographics d;
  SCHAKEL_TRY(read_base(t, d));
  SCHAKEL_TRY(optional_date(t, "birthDate", d.birth_date));
  d.sex = t.get("sex");
  return d;
}

Result<Class> parse_class(const Table& t) {
  Class c;
  SCHAKEL_TRY(read_base(t, c));
  c.title = t.get("title");
  c.class_type = t.get("classType");
  c.school_sourced_id = t.get("schoolSourcedId");
  c.grades = split_list(t.get("grades"));
  return c;
}

Result<Enrollment> parse_enrollment(const Table& t) {
  Enrollment e;
  SCHAKEL_TRY(read_base(t, e));
  e.class_sourced_id = t.get("classSourcedId");
  e.school_sourced_id = t.get("schoolSourcedId");
  e.user_sourced_id = t.get("userSourcedId");
  e.role = t.get("role");
  SCHAKEL_TRY(optional_date(t, "beginDate", e.begin_date));
  SCHAKEL_TRY(optional_date(t, "endDate", e.end_date));
  if (e.user_sourced_id.empty()) return row_error(t, "userSourcedId", "is empty");
  return e;
}

Result<User> parse_user(const Table& t, [[maybe_unused]] Version version) {
  User u;
  SCHAKEL_TRY(read_base(t, u));
  u.given_name = t.get("givenName");
  u.middle_name = t.get("middleName");
  u.family_name = t.get("familyName");
  u.preferred_given_name = t.get("preferredGivenName");
  u.email = t.get("email");
  u.phone = t.get("phone");
  u.sms = t.get("sms");
  u.identifier = t.get("identifier");
  // 1.2 bundles keep roles in roles.csv; a `role` column in 1.2 comes from the REST binding,
  // which flattens the user's primary role into it (rest.hpp).
  if (!t.get("role").empty()) u.roles.push_back(t.get("role"));
  u.org_sourced_ids = split_list(t.get("orgSourcedIds"));
  if (u.org_sourced_ids.empty() && !t.get("primaryOrgSourcedId").empty())
    u.org_sourced_ids.push_back(t.get("primaryOrgSourcedId"));
  u.agent_sourced_ids = split_list(t.get("agentSourcedIds"));
  u.grades = split_list(t.get("grades"));
  for (const auto& [name, index] : t.columns())
    if (name.rfind("metadata.", 0) == 0)
      if (const std::string& v = t.get(name); !v.empty()) u.metadata[name] = v;
  auto ids = parse_user_ids(t.get("userIds"));
  if (!ids) return row_error(t, "userIds", ids.status().message());
  u.user_ids = std::move(*ids);
  return u;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    auto comma = s.find(',', start);
    auto item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = item.find_first_not_of(' ');
    auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::vector<UserId>> parse_user_ids(const std::string& s) {
  // OneRoster writes userIds as a list of "{type:identifier}".
  std::vector<UserId> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ',' || s[i] == ' ') {
      ++i;
      continue;
    }
    if (s[i] != '{') return Status(ErrorCode::invalid, "expected '{' at offset " + std::to_string(i));
    auto close = s.find('}', i);
    if (close == std::string::npos) return Status(ErrorCode::invalid, "an entry is not closed with '}'");
    auto inner = s.substr(i + 1, close - i - 1);
    auto colon = inner.find(':');
    if (colon == std::string::npos || colon == 0)
      return Status(ErrorCode::invalid, "an entry is not {type:identifier}");
    out.push_back({inner.substr(0, colon), inner.substr(colon + 1)});
    i = close + 1;
  }
  return out;
}

bool valid_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return false;
  std::chrono::year_month_day d{std::chrono::year{std::stoi(s.substr(0, 4))},
                                std::chrono::month{static_cast<unsigned>(std::stoi(s.substr(5, 2)))},
                                std::chrono::day{static_cast<unsigned>(std::stoi(s.substr(8, 2)))}};
  return d.ok();
}

std::optional<std::string> normalise_instant(const std::string& s) {
  // Every row of a bundle passes here, and an export stamps whole batches of rows with one
  // dateLastModified: the last answer is kept, so a repeat costs a comparison, not a parse.
  thread_local std::string last_in, last_out;
  if (!last_out.empty() && s == last_in) return last_out;
  TimePoint t;
  std::optional<std::string> out;
  if (parse_rfc3339(s, t)) out = format_utc(t);
  // A bare date (some exports) counts as midnight UTC.
  else if (valid_date(s) && parse_rfc3339(s + "T00:00:00Z", t)) out = format_utc(t);
  if (out) {
    last_in = s;
    last_out = *out;
  }
  return out;
}

}  // namespace schakel::oneroster
