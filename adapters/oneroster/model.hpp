#pragma once
// The OneRoster (1EdTech) 1.1 and 1.2 data model as read from a CSV bundle: the manifest, orgs,
// academic sessions, courses, classes, users (with roles and agents), enrollments and
// demographics. Parsing a row checks what the standard requires of it; an error names the row as
// "<file>:<line>" and the field, so the caller can quarantine that row and go on.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "oneroster/table.hpp"

namespace schakel::oneroster {

enum class Version { v1_1, v1_2 };
enum class FileMode { absent, bulk, delta };

// manifest.csv: propertyName,value rows (manifest.version, oneroster.version, file.<name>).
struct Manifest {
  Version version = Version::v1_1;
  std::map<std::string, FileMode> files;  // "users" -> bulk, ...
  [[nodiscard]] FileMode mode(const std::string& file) const;
};
Result<Manifest> read_manifest(const std::filesystem::path& bundle_dir);
// The same from an open manifest table; `name` is what errors call the file.
Result<Manifest> read_manifest(Table& manifest, const std::string& name);

// Fields every OneRoster row has.
struct Base {
  std::string sourced_id;
  bool to_be_deleted = false;     // status "tobedeleted" (delta files only)
  std::string date_last_modified; // RFC 3339 UTC, normalised to "...Z"; "" in bulk files without it
  std::string where;              // "<file>:<line>"
};

struct Org : Base {
  std::string name;
  std::string type;        // school, district, ...
  std::string identifier;  // in NL: BRIN + vestiging, e.g. "12AB00"
};

struct Demographics : Base {
  std::string birth_date;  // YYYY-MM-DD or ""
  std::string sex;         // male, female, other, unspecified, ""
};

struct Class : Base {
  std::string title;
  std::string class_type;  // homeroom, scheduled
  std::string school_sourced_id;
  std::vector<std::string> grades;
};

struct Enrollment : Base {
  std::string class_sourced_id;
  std::string school_sourced_id;
  std::string user_sourced_id;
  std::string role;  // student, teacher, administrator, ...
  std::string begin_date;
  std::string end_date;
};

struct UserId {
  std::string type;   // e.g. "ECKiD", "BSN"
  std::string value;
};

struct User : Base {
  std::string given_name;
  std::string middle_name;
  std::string family_name;
  std::string preferred_given_name;  // 1.2
  std::string email;
  std::string phone;
  std::string sms;
  std::vector<std::string> roles;        // 1.1: the one `role`; 1.2: from roles.csv
  std::vector<std::string> org_sourced_ids;
  std::vector<std::string> agent_sourced_ids;
  std::vector<UserId> user_ids;
  std::string identifier;
  std::vector<std::string> grades;
  std::map<std::string, std::string> metadata;  // extension columns "metadata.<x>" that have a value
};

// The columns each file must have, by version.
const std::vector<std::string>& required_columns(const std::string& file, Version version);

// Row parsers: read the current row of `t`. Errors are "<file>:<line>: <field>: <what>".
Result<Org> parse_org(const Table& t);
Result<Demographics> parse_demographics(const Table& t);
Result<Class> parse_class(const Table& t);
Result<Enrollment> parse_enrollment(const Table& t);
Result<User> parse_user(const Table& t, Version version);

// Helpers, exposed for tests.
std::vector<std::string> split_list(const std::string& s);       // "a,b" -> {"a","b"}
Result<std::vector<UserId>> parse_user_ids(const std::string& s);  // "{ECKiD:x},{BSN:y}"
bool valid_date(const std::string& s);                             // YYYY-MM-DD, a real day
std::optional<std::string> normalise_instant(const std::string& s);  // RFC 3339 -> UTC "Z"

}  // namespace schakel::oneroster
