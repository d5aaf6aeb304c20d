#pragma once
// YAML to JSON, keeping the line and column of every node so that errors found later (schema
// violations, cross references) can name file:line:column.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace schakel::config {

struct Mark {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct YamlError {
  Mark mark;
  std::string pointer;
  std::string message;
};

struct YamlDocument {
  nlohmann::json json;
  std::map<std::string, Mark> marks;  // JSON pointer → where the node's value starts in the file
  std::map<std::string, Mark> key_marks;  // JSON pointer of a mapping member → where its key is
  std::vector<YamlError> errors;      // all of them

  // The mark of `pointer`'s value (or with `at_key`, of its key), or of its nearest ancestor.
  [[nodiscard]] Mark mark_of(std::string pointer, bool at_key = false) const;
};

// Parses YAML text. Plain scalars follow the YAML 1.2 core schema (true/false, null, integers,
// floats); quoted scalars are strings. Duplicate keys and non-string keys are errors.
YamlDocument parse_yaml(const std::string& text);

// "connectors[2].settings.base_url" from "/connectors/2/settings/base_url".
std::string pointer_to_path(const std::string& pointer);

}  // namespace schakel::config
