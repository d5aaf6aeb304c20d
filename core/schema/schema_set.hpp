#pragma once
// The common case schema: loads schemas/ once, validates documents with valijson, and exposes the
// personal-data category of every property (read from "x-schakel-category"), which is what the
// consent gate decides on.
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.hpp"

namespace schakel::schema {

// The closed list of data categories (DESIGN section 3).
const std::vector<std::string>& known_categories();
bool is_known_category(const std::string& category);

struct Violation {
  std::string pointer;  // JSON pointer into the document, "" for the root
  std::string message;
};

// One category annotation: `pointer` is a JSON pointer pattern into documents of the schema in
// which "*" stands for any array index, e.g. "/agreements/*/owner".
struct CategoryPath {
  std::string pointer;
  std::string category;
};

class SchemaSet {
 public:
  ~SchemaSet();
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;

  // Loads every *.schema.json in `dir`. Errors name the file and what is wrong, all at once.
  static Result<SchemaSet> load(const std::filesystem::path& dir);

  // Adds a schema given as JSON (e.g. a plugin's manifest schema) under `name`.
  Status add(const std::string& name, const nlohmann::json& schema);

  [[nodiscard]] bool has(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] const nlohmann::json* raw(const std::string& name) const;

  // Every violation of `doc` against schema `name` ("student" or "student.schema.json").
  [[nodiscard]] std::vector<Violation> validate(const std::string& name, const nlohmann::json& doc) const;

  // The category annotations of schema `name`, following $ref into other schemas of the set.
  [[nodiscard]] const std::vector<CategoryPath>& categories(const std::string& name) const;

 private:
  SchemaSet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where the schemas are: $SCHAKEL_SCHEMA_DIR, else the source tree's schemas/ when it exists
// (development and tests), else the installed copy.
std::filesystem::path default_schema_dir();

// One JSON pointer token escaped: "b/c~" → "b~1c~0".
std::string escape_pointer_token(const std::string& token);

// "/a/b~1c" from {"a", "b/c"}.
std::string to_pointer(const std::vector<std::string>& tokens);

}  // namespace schakel::schema
