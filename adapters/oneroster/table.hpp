#pragma once
// One OneRoster CSV file read row by row: checks the header (every required column present, no
// column twice), looks columns up by name, and names each row by "<file>:<line>".
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "csv/reader.hpp"

namespace schakel::oneroster {

class Table {
 public:
  // Opens `path` and reads its header. An error names the file and the missing column.
  static Result<std::unique_ptr<Table>> open(const std::filesystem::path& path,
                                             const std::vector<std::string>& required_columns,
                                             csv::ReaderOptions options = {});

  // The same from a stream; `name` is what errors call it (e.g. "bundle.zip!users.csv").
  static Result<std::unique_ptr<Table>> open_stream(std::unique_ptr<std::istream> in, const std::string& name,
                                                    const std::vector<std::string>& required_columns,
                                                    csv::ReaderOptions options = {});

  // A table fed row by row by the caller instead of a CSV file (the REST binding flattens its
  // JSON objects into the CSV bundle's columns, so one set of row parsers serves both).
  static std::unique_ptr<Table> in_memory(std::string name, const std::vector<std::string>& columns);
  // Makes `fields` (in the order of the columns given to in_memory) the current row.
  void set_row(std::vector<std::string> fields, std::uint64_t line);

  // The next data row: true, false at the end, or an error with file:line[:column]. A row with a
  // different number of fields than the header (e.g. a truncated last line) is an error.
  Result<bool> next();

  // The value of `column` in the current row ("" if the file has no such column).
  [[nodiscard]] const std::string& get(std::string_view column) const;
  [[nodiscard]] bool has_column(std::string_view column) const;
  // "<file>:<line>" of the current row.
  [[nodiscard]] std::string where() const;
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::map<std::string, std::size_t, std::less<>>& columns() const { return columns_; }
  // The current row as read: its fields in column order and the line it starts on.
  [[nodiscard]] const csv::Row& row() const { return row_; }

 private:
  Table(std::unique_ptr<csv::Reader> reader, std::string file);
  static Result<std::unique_ptr<Table>> from_reader(std::unique_ptr<csv::Reader> reader, const std::string& name,
                                                    std::string file, const std::vector<std::string>& required);
  std::unique_ptr<csv::Reader> reader_;
  std::string file_;
  std::map<std::string, std::size_t, std::less<>> columns_;
  // The same as a flat list: a row's parser asks for a score of columns, and comparing lengths
  // first finds one in a few instructions where the map compared strings at every level.
  std::vector<std::pair<std::string, std::size_t>> lookup_;
  void index_columns();
  std::size_t width_ = 0;
  csv::Row row_;
};

}  // namespace schakel::oneroster
