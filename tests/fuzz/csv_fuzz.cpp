// libFuzzer target for the CSV reader. Properties checked on every input:
//  - the reader never crashes, hangs or reads past its input (the sanitizers watch memory);
//  - every field it returns is valid UTF-8 and within the field limit;
//  - the result (rows or the error message) is the same with a 1-byte buffer as with a large
//    one, so refills at any boundary change nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "csv/reader.hpp"
#include "csv/utf8.hpp"

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> rows;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

Outcome parse(const std::string& input, std::size_t buffer_bytes) {
  schakel::csv::ReaderOptions options;
  options.max_field_bytes = 256;
  options.max_fields = 64;
  options.buffer_bytes = buffer_bytes;
  schakel::csv::Reader reader(std::make_unique<std::istringstream>(input), "fuzz.csv", options);
  Outcome out;
  schakel::csv::Row row;
  for (;;) {
    auto more = reader.next(row);
    if (!more) {
      out.error = more.status().message();
      return out;
    }
    if (!*more) return out;
    if (row.fields.empty() || row.fields.size() > options.max_fields) std::abort();
    for (const auto& f : row.fields)
      if (f.size() > options.max_field_bytes || !schakel::csv::valid_utf8(f)) std::abort();
    out.rows.push_back(row.fields);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (!(parse(input, 1) == parse(input, 1 << 16))) std::abort();
  return 0;
}
