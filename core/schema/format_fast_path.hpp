#pragma once
// valijson checks "format": date, time and date-time by compiling a std::regex on every value
// (about 0.1 ms each), which made schema validation the bottleneck of a bulk import. The fast
// path: each schema is also compiled without those three formats, and the formats are checked
// by hand at the places the schema puts them. Only when a document fails either check does the
// full valijson validation run, so the violations and their messages stay exactly valijson's.
//
// The hand-written checks accept exactly what valijson's regexes and day ranges accept. The
// places are found by following properties, items, additionalProperties, allOf and $ref; a
// schema that puts such a format under any other keyword (anyOf, oneOf, not, if, ...) has no fast
// path. Applying a check too widely is safe (it only sends a document down the full path).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace schakel::schema {

// The formats the fast path takes over from valijson.
bool is_fast_format(const std::string& format);
// The same acceptance as valijson's ValidationVisitor for that format.
bool format_ok(const std::string& format, const std::string& value);

// A copy of `schema` without the fast formats (for the formatless compile).
nlohmann::json without_fast_formats(const nlohmann::json& schema);

struct FormatPath {
  std::vector<std::string> tokens;  // "*" stands for any array index or property name
  std::string format;
};

// Looks a $ref up in the set: the referenced document root and the node, or nullptr.
using RefResolver = std::function<const nlohmann::json*(const nlohmann::json& root, const std::string& ref,
                                                        const nlohmann::json** new_root)>;

// Where `schema` puts fast formats; false when some are out of reach (no fast path).
bool collect_format_paths(const nlohmann::json& root, const RefResolver& resolve, std::vector<FormatPath>& out);

// True when every string at every path passes its format; false on a failure, or a non-string
// value where a format applies (valijson decides those).
bool formats_hold(const nlohmann::json& doc, const std::vector<FormatPath>& paths);

}  // namespace schakel::schema
