#pragma once
// A streaming RFC 4180 reader: reads a file through a fixed buffer (never the whole file), skips
// a UTF-8 byte-order mark, accepts CRLF and LF line ends, and quoted fields holding commas,
// doubled quotes and line breaks. Input must be UTF-8. Every error names the place as
// "<name>:<line>:<column>: ..." (1-based; the column counts bytes) and stops the reader: after
// malformed quoting there is no reliable way to find the next row.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "csv/utf8.hpp"

namespace schakel::csv {

struct ReaderOptions {
  std::size_t max_field_bytes = 1 << 20;  // a longer field is an error, so memory stays bounded
  std::size_t max_fields = 4096;          // per row
  std::size_t buffer_bytes = 1 << 16;    // at least 4
};

struct Row {
  std::vector<std::string> fields;
  std::uint64_t line = 0;  // the line the row starts on
};

class Reader {
 public:
  // `name` is what errors call the input (usually the file's path).
  Reader(std::unique_ptr<std::istream> in, std::string name, ReaderOptions options = {});

  // Reads the next row into `row`: true if there was one, false at the end of the input. Blank
  // lines are skipped (a row of one empty field is written as "").
  Result<bool> next(Row& row);

  [[nodiscard]] const std::string& name() const { return name_; }
  // The line the next row starts on (the line after the input, at the end).
  [[nodiscard]] std::uint64_t line() const { return line_; }

 private:
  static constexpr int k_eof = -1;
  int take();  // the next byte, or k_eof; sets at_line_/at_col_ to its place
  bool refill();
  Status fail(std::uint64_t line, std::uint64_t col, const std::string& what);
  Status line_end(int c);  // after '\r', demands '\n'

  std::unique_ptr<std::istream> in_;
  std::string name_;
  ReaderOptions options_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool started_ = false;
  bool eof_ = false;
  std::uint64_t line_ = 1;
  std::uint64_t col_ = 0;
  std::uint64_t at_line_ = 1;
  std::uint64_t at_col_ = 0;
  Status error_;
  Utf8Check utf8_;
};

// Opens a file for reading with a clear error naming it if that fails.
Result<std::unique_ptr<Reader>> open_file(const std::filesystem::path& path, ReaderOptions options = {});

}  // namespace schakel::csv
