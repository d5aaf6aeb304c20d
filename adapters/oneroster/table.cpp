#include "oneroster/table.hpp"

#include <utility>

namespace schakel::oneroster {

Table::Table(std::unique_ptr<csv::Reader> reader, std::string file)
    : reader_(std::move(reader)), file_(std::move(file)) {}

Result<std::unique_ptr<Table>> Table::open(const std::filesystem::path& path,
                                           const std::vector<std::string>& required_columns,
                                           csv::ReaderOptions options) {
  auto reader = csv::open_file(path, options);
  if (!reader) return reader.status();
  return from_reader(std::move(*reader), path.string(), path.filename().string(), required_columns);
}

Result<std::unique_ptr<Table>> Table::open_stream(std::unique_ptr<std::istream> in, const std::string& name,
                                                  const std::vector<std::string>& required_columns,
                                                  csv::ReaderOptions options) {
  auto reader = std::make_unique<csv::Reader>(std::move(in), name, options);
  return from_reader(std::move(reader), name, name, required_columns);
}

Result<std::unique_ptr<Table>> Table::from_reader(std::unique_ptr<csv::Reader> reader, const std::string& name,
                                                  std::string file, const std::vector<std::string>& required) {
  std::unique_ptr<Table> t(new Table(std::move(reader), std::move(file)));
  auto more = t->reader_->next(t->row_);
  if (!more) return more.status();
  if (!*more) return Status(ErrorCode::invalid, name + ":1: the file is empty (no header row)");
  for (std::size_t i = 0; i < t->row_.fields.size(); ++i) {
    if (!t->columns_.emplace(t->row_.fields[i], i).second)
      return Status(ErrorCode::invalid, name + ":1: column '" + t->row_.fields[i] + "' appears twice in the header");
  }
  t->width_ = t->row_.fields.size();
  t->index_columns();
  for (const auto& c : required)
    if (!t->columns_.contains(c)) return Status(ErrorCode::invalid, name + ":1: the header has no column '" + c + "'");
  return t;
}

std::unique_ptr<Table> Table::in_memory(std::string name, const std::vector<std::string>& columns) {
  std::unique_ptr<Table> t(new Table(nullptr, std::move(name)));
  for (std::size_t i = 0; i < columns.size(); ++i) t->columns_.emplace(columns[i], i);
  t->width_ = columns.size();
  t->index_columns();
  return t;
}

void Table::index_columns() {
  lookup_.assign(columns_.begin(), columns_.end());
}

void Table::set_row(std::vector<std::string> fields, std::uint64_t line) {
  row_.fields = std::move(fields);
  row_.line = line;
}

Result<bool> Table::next() {
  if (!reader_) return false;
  auto more = reader_->next(row_);
  if (!more || !*more) return more;
  if (row_.fields.size() != width_)
    return Status(ErrorCode::invalid, where() + ": " + std::to_string(row_.fields.size()) +
                                          " fields where the header has " + std::to_string(width_) +
                                          " (a truncated or broken row)");
  return true;
}

const std::string& Table::get(std::string_view column) const {
  static const std::string empty;
  for (const auto& [name, at] : lookup_) {
    if (name.size() != column.size() || name != column) continue;
    return at < row_.fields.size() ? row_.fields[at] : empty;
  }
  return empty;
}

bool Table::has_column(std::string_view column) const { return columns_.find(column) != columns_.end(); }

std::string Table::where() const { return file_ + ":" + std::to_string(row_.line); }

}  // namespace schakel::oneroster
