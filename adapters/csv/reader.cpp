#include "csv/reader.hpp"

#include <fstream>
#include <utility>

namespace schakel::csv {

Reader::Reader(std::unique_ptr<std::istream> in, std::string name, ReaderOptions options)
    : in_(std::move(in)), name_(std::move(name)), options_(options) {
  // istream::read fills the buffer unless the input ends, so 4 bytes see a whole BOM.
  if (options_.buffer_bytes < 4) options_.buffer_bytes = 4;
  buf_.resize(options_.buffer_bytes);
}

bool Reader::refill() {
  if (eof_) return false;
  in_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  end_ = static_cast<std::size_t>(in_->gcount());
  pos_ = 0;
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

int Reader::take() {
  if (pos_ == end_ && !refill()) {
    at_line_ = line_;
    at_col_ = col_ + 1;
    return k_eof;
  }
  auto c = static_cast<unsigned char>(buf_[pos_++]);
  at_line_ = line_;
  at_col_ = ++col_;
  if (c == '\n') {
    ++line_;
    col_ = 0;
  }
  return c;
}

Status Reader::fail(std::uint64_t line, std::uint64_t col, const std::string& what) {
  error_ = Status(ErrorCode::invalid,
                  name_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  return error_;
}

Status Reader::line_end(int c) {
  if (c == '\r') {
    std::uint64_t l = at_line_, col = at_col_;
    if (take() != '\n') return fail(l, col, "a carriage return not followed by a line feed");
  }
  return Status::ok();
}

Result<bool> Reader::next(Row& row) {
  if (!error_) return error_;
  // The row's strings are reused from one row to the next: their buffers already have the room,
  // so a row costs no allocation once the first few are read. `n` counts this row's fields.
  std::size_t n = 0;
  struct Trim {
    Row& row;
    const std::size_t& n;
    ~Trim() { row.fields.resize(n); }
  } trim{row, n};
  auto slot = [&]() -> std::string& {
    if (n == row.fields.size()) row.fields.emplace_back();
    std::string& s = row.fields[n];
    s.clear();
    return s;
  };
  if (!started_) {
    started_ = true;
    // A UTF-8 byte-order mark (EF BB BF) at the very start is not data.
    if (refill() && end_ >= 3 && static_cast<unsigned char>(buf_[0]) == 0xEF &&
        static_cast<unsigned char>(buf_[1]) == 0xBB && static_cast<unsigned char>(buf_[2]) == 0xBF)
      pos_ = 3;
  }
  enum class State { field_start, unquoted, quoted, after_quote } state = State::field_start;
  std::string* field = &slot();
  std::uint64_t field_line = line_, field_col = col_ + 1;
  row.line = line_;

  auto push = [&]() -> Status {
    if (n >= options_.max_fields)
      return fail(field_line, field_col,
                  "more than " + std::to_string(options_.max_fields) + " fields in one row");
    ++n;
    field = &slot();
    return Status::ok();
  };
  auto add = [&](char c) -> Status {
    if (field->size() >= options_.max_field_bytes)
      return fail(field_line, field_col,
                  "a field longer than " + std::to_string(options_.max_field_bytes) + " bytes");
    field->push_back(c);
    return Status::ok();
  };

  // Plain ASCII inside a field (no separator, quote, line end or multi-byte sequence) is copied
  // a run at a time; the byte-at-a-time path below sees everything else, errors included.
  auto copy_run = [&] {
    if (!utf8_.complete()) return;
    std::size_t i = pos_;
    while (i < end_) {
      const auto ch = static_cast<unsigned char>(buf_[i]);
      if (ch >= 0x80 || ch == ',' || ch == '"' || ch == '\n' || ch == '\r') break;
      ++i;
    }
    const std::size_t k = i - pos_;
    if (k == 0 || field->size() + k > options_.max_field_bytes) return;
    field->append(buf_.data() + pos_, k);
    pos_ = i;
    col_ += k;
    at_line_ = line_;
    at_col_ = col_;
  };

  for (;;) {
    if (state == State::unquoted || state == State::quoted) copy_run();
    int c = take();
    if (c != k_eof && !utf8_.feed(static_cast<std::uint8_t>(c)))
      return fail(at_line_, at_col_, "invalid UTF-8 (byte 0x" + [&] {
        static const char* hex = "0123456789abcdef";
        return std::string{hex[(c >> 4) & 0xF], hex[c & 0xF]};
      }() + ")");
    if (c == k_eof && !utf8_.complete())
      return fail(at_line_, at_col_, "invalid UTF-8 (a multi-byte sequence cut off at the end)");

    switch (state) {
      case State::field_start:
        field_line = at_line_;
        field_col = at_col_;
        if (c == k_eof) {
          if (n == 0) return false;
          SCHAKEL_TRY(push());
          return true;
        }
        if (c == '"') {
          state = State::quoted;
        } else if (c == ',') {
          SCHAKEL_TRY(push());
        } else if (c == '\n' || c == '\r') {
          SCHAKEL_TRY(line_end(c));
          if (n == 0) {  // a blank line
            row.line = line_;
            continue;
          }
          SCHAKEL_TRY(push());
          return true;
        } else {
          SCHAKEL_TRY(add(static_cast<char>(c)));
          state = State::unquoted;
        }
        break;
      case State::unquoted:
        if (c == ',') {
          SCHAKEL_TRY(push());
          state = State::field_start;
        } else if (c == '\n' || c == '\r' || c == k_eof) {
          if (c != k_eof) SCHAKEL_TRY(line_end(c));
          SCHAKEL_TRY(push());
          return true;
        } else if (c == '"') {
          return fail(at_line_, at_col_,
                      "a quote inside an unquoted field (quote the whole field and double the quote)");
        } else {
          SCHAKEL_TRY(add(static_cast<char>(c)));
        }
        break;
      case State::quoted:
        if (c == k_eof)
          return fail(field_line, field_col,
                      "a quoted field is never closed (the file ends inside it; truncated?)");
        if (c == '"') {
          state = State::after_quote;
        } else {
          SCHAKEL_TRY(add(static_cast<char>(c)));
        }
        break;
      case State::after_quote:
        if (c == '"') {
          state = State::quoted;
          SCHAKEL_TRY(add('"'));
        } else if (c == ',') {
          SCHAKEL_TRY(push());
          state = State::field_start;
        } else if (c == '\n' || c == '\r' || c == k_eof) {
          if (c != k_eof) SCHAKEL_TRY(line_end(c));
          SCHAKEL_TRY(push());
          return true;
        } else {
          return fail(at_line_, at_col_,
                      "a character after the closing quote of a field (expected a comma or a line end)");
        }
        break;
    }
  }
}

Result<std::unique_ptr<Reader>> open_file(const std::filesystem::path& path, ReaderOptions options) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return Status(ErrorCode::io, path.string() + ": cannot open for reading");
  return std::make_unique<Reader>(std::move(in), path.string(), options);
}

}  // namespace schakel::csv
