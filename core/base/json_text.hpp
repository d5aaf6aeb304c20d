#pragma once
// JSON text read and written as nlohmann::json reads and writes it, faster.
//
// Writing: exactly as nlohmann::json::dump() writes it (no indent, UTF-8 kept as it is, members
// in the object's order), written faster: runs of characters that need no escape are copied at
// once, where dump() looks at every byte on its own. The bytes must be the same, because stored
// documents are compared as text (an unchanged record stays unchanged). What is rare (floating
// point numbers, a string that is not valid UTF-8) is left to dump() itself, which also throws
// for invalid UTF-8 as before.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace schakel {

void append_json_text(std::string& out, const nlohmann::json& value);

inline std::string json_text(const nlohmann::json& value) {
  std::string out;
  append_json_text(out, value);
  return out;
}

// Reading: the value nlohmann::json::parse(text, nullptr, false) gives, discarded when `text` is
// not JSON. What is common (objects, arrays, plain strings, integers) is read here, copying runs
// of plain characters at once and checking UTF-8 as the parser does; anything else (a floating
// point number, a \u escape, an error) is handed to nlohmann's parser, so the answer is its own.
nlohmann::json parse_json_text(std::string_view text);

}  // namespace schakel
