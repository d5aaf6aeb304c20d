#pragma once
// JSON text read and written as nlohmann::json reads and writes it, faster.
//
// Writing: exactly as nlohmann::json::dump() writes it (no indent, UTF-8 kept as it is, members
// in the object's order), written faster: runs of characters that need no escape are copied at
// once, where dump() looks at every byte on its own. The bytes must be the same, because stored
// documents are compared as text (an unchanged record stays unchanged). What is rare (floating
// point numbers, a string that is not valid UTF-8) is left to dump() itself, which also throws
// for invalid UTF-8 as before.
#include <cstdint>
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

// Writes JSON text value by value, without a document: for a producer that knows the shape of
// what it writes (a plugin mapping a row), where building a document first cost more than the
// rest of the mapping. Strings are written as above; one that is not valid UTF-8 throws as dump()
// does. The caller opens and closes in order, and puts a key before each member's value.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  JsonWriter& open_object() { return open('{'); }
  JsonWriter& close_object() { return close('}'); }
  JsonWriter& open_array() { return open('['); }
  JsonWriter& close_array() { return close(']'); }
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view s);
  JsonWriter& integer(std::int64_t v);
  JsonWriter& boolean(bool b);
  JsonWriter& raw(std::string_view json);  // a value written already
  // key(name).string(s), the common case
  JsonWriter& member(std::string_view name, std::string_view s) { return key(name).string(s); }

 private:
  void separate();  // the comma before a value that is not the first in its object or array
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);

  std::string& out_;
  bool first_ = true;      // nothing written yet in the object or array now open
  bool after_key_ = false;  // the value of a member comes next
};

// Reading: the value nlohmann::json::parse(text, nullptr, false) gives, discarded when `text` is
// not JSON. What is common (objects, arrays, plain strings, integers) is read here, copying runs
// of plain characters at once and checking UTF-8 as the parser does; anything else (a floating
// point number, a \u escape, an error) is handed to nlohmann's parser, so the answer is its own.
//
// With `member_text`: where `text` is an object whose member `member` is written in canonical form
// (exactly as json_text writes its value), *member_text is that part of `text`, so a reader that
// stores the member may keep its text instead of writing it again; otherwise it is empty.
nlohmann::json parse_json_text(std::string_view text, std::string_view member = {},
                               std::string_view* member_text = nullptr);

}  // namespace schakel
