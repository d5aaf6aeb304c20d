#pragma once
// valijson checks "format": date, time and date-time by compiling a std::regex on every value
// (about 0.1 ms each). The Checker (checker.hpp) checks those formats with these hand-written
// functions instead, which accept exactly what valijson's regexes and day ranges accept
// (format_fast_path_test.cpp compares them).
#include <string>

namespace schakel::schema {

// The formats valijson checks (it lets every other format pass).
bool is_fast_format(const std::string& format);
// The same acceptance as valijson's ValidationVisitor for that format.
bool format_ok(const std::string& format, const std::string& value);

}  // namespace schakel::schema
