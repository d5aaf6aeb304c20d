#pragma once
// JSON Canonicalization Scheme (RFC 8785): one byte sequence per JSON value, so a hash over it
// means the same thing to every verifier. Keys sorted by UTF-16 code units, numbers formatted as
// ECMAScript's Number.prototype.toString, strings escaped as JSON.stringify does.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.hpp"

namespace schakel::audit {

// The canonical form of `value`. Fails on NaN or infinity and on strings that are not UTF-8,
// naming the JSON pointer of the offending value.
Result<std::string> canonical_json(const nlohmann::json& value);

// Appends `text` as a canonical JSON string literal (quotes included). `text` must be valid
// UTF-8; returns false (appending nothing useful) when it is not.
bool append_canonical_string(std::string& out, std::string_view text);

// The raw form of the above for hot loops: writes at `dst`, which must have room for
// canonical_string_bound(text) bytes; returns the end, or nullptr when `text` is not UTF-8.
inline std::size_t canonical_string_bound(std::string_view text) { return 6 * text.size() + 2; }
char* write_canonical_string(char* dst, std::string_view text);

// ECMAScript Number::toString for a finite double ("1e+30", "0.002", "333333333.3333333").
std::string format_es_number(double value);

}  // namespace schakel::audit
