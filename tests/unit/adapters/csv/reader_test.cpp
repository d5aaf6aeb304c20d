#include "csv/reader.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace schakel::csv {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Result<Rows> read_all(const std::string& text, ReaderOptions options = {}) {
  Reader reader(std::make_unique<std::istringstream>(text), "in.csv", options);
  Rows rows;
  Row row;
  for (;;) {
    auto more = reader.next(row);
    if (!more) return more.status();
    if (!*more) return rows;
    rows.push_back(row.fields);
  }
}

std::string error_of(const std::string& text, ReaderOptions options = {}) {
  auto r = read_all(text, options);
  EXPECT_FALSE(r.is_ok()) << text;
  return r.is_ok() ? std::string() : r.status().message();
}

TEST(CsvReader, PlainRowsWithLfAndCrlf) {
  auto r = read_all("a,b,c\n1,2,3\r\n4,5,6");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (Rows{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "5", "6"}}));
}

TEST(CsvReader, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  auto r = read_all("x,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\nhere\"\r\nnext,,\"\"\r\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (Rows{{"x", "a,b", "say \"hi\"", "two\r\nlines\nhere"}, {"next", "", ""}}));
}

TEST(CsvReader, SkipsByteOrderMarkButKeepsNonAsciiText) {
  auto r = read_all("\xEF\xBB\xBFgivenName,familyName\n\xC3\x9Cmit,\xC3\x87" "elik\nZo\xC3\xAB,van der Berg\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (Rows{{"givenName", "familyName"}, {"Ümit", "Çelik"}, {"Zoë", "van der Berg"}}));
}

TEST(CsvReader, TrailingCommaGivesAnEmptyLastFieldAndBlankLinesAreSkipped) {
  auto r = read_all("a,\n\n\r\nb,c\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (Rows{{"a", ""}, {"b", "c"}}));
}

TEST(CsvReader, ARowReusedForTheNextHoldsOnlyTheNextRowsFields) {
  // The reader reuses the row's strings: a short row after a long one must not keep the rest.
  auto r = read_all("alpha,beta,gamma\nd\n\"e\",,\"long quoted value, with a comma\"\nx,y\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (Rows{{"alpha", "beta", "gamma"}, {"d"}, {"e", "", "long quoted value, with a comma"}, {"x", "y"}}));
}

TEST(CsvReader, RowLineIsWhereTheRowStarts) {
  Reader reader(std::make_unique<std::istringstream>("h\n\"multi\nline\"\nlast\n"), "f.csv");
  Row row;
  std::vector<std::uint64_t> lines;
  while (true) {
    auto more = reader.next(row);
    ASSERT_TRUE(more.is_ok());
    if (!*more) break;
    lines.push_back(row.line);
  }
  EXPECT_EQ(lines, (std::vector<std::uint64_t>{1, 2, 4}));
}

TEST(CsvReader, SameRowsWhateverTheBufferSize) {
  std::string text = "\xEF\xBB\xBFid,name\r\n1,\"a \"\"b\"\"\r\nc\"\r\n2,Zo\xC3\xAB\n";
  auto big = read_all(text);
  ASSERT_TRUE(big.is_ok());
  for (std::size_t size : {1, 2, 3, 5, 7}) {
    ReaderOptions o;
    o.buffer_bytes = size;
    auto small = read_all(text, o);
    ASSERT_TRUE(small.is_ok()) << size << ": " << small.status().message();
    EXPECT_EQ(*small, *big) << size;
  }
}

TEST(CsvReader, UnclosedQuoteNamesWhereTheFieldOpened) {
  EXPECT_EQ(error_of("a,b\n1,\"open\n2,3\n"),
            "in.csv:2:3: a quoted field is never closed (the file ends inside it; truncated?)");
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsAnError) {
  EXPECT_EQ(error_of("a,b\nx,ab\"c\n"),
            "in.csv:2:5: a quote inside an unquoted field (quote the whole field and double the quote)");
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  EXPECT_EQ(error_of("a\n\"x\"y\n"),
            "in.csv:2:4: a character after the closing quote of a field (expected a comma or a line end)");
}

TEST(CsvReader, BareCarriageReturnIsAnError) {
  EXPECT_EQ(error_of("a\rb\n"), "in.csv:1:2: a carriage return not followed by a line feed");
}

TEST(CsvReader, InvalidUtf8NamesLineAndColumn) {
  EXPECT_EQ(error_of("a,b\nok,b\xFFx\n"), "in.csv:2:5: invalid UTF-8 (byte 0xff)");
  EXPECT_EQ(error_of("a\n\xC3(\n"), "in.csv:2:2: invalid UTF-8 (byte 0x28)");         // cut short
  EXPECT_EQ(error_of("a\n\xC0\xAF\n"), "in.csv:2:1: invalid UTF-8 (byte 0xc0)");      // overlong
  EXPECT_EQ(error_of("a\n\xED\xA0\x80\n"), "in.csv:2:2: invalid UTF-8 (byte 0xa0)");  // surrogate
  EXPECT_EQ(error_of("a\n\xE2\x82"), "in.csv:2:3: invalid UTF-8 (a multi-byte sequence cut off at the end)");
}

TEST(CsvReader, FieldLongerThanTheLimitIsRefusedWithoutReadingItAll) {
  ReaderOptions o;
  o.max_field_bytes = 8;
  EXPECT_TRUE(read_all("12345678,\"abcdefgh\"\n", o).is_ok());
  EXPECT_EQ(error_of("a\n123456789\n", o), "in.csv:2:1: a field longer than 8 bytes");
  EXPECT_EQ(error_of("a\nx,\"ab\"\"cdefgh\"\n", o), "in.csv:2:3: a field longer than 8 bytes");
}

TEST(CsvReader, TooManyFieldsIsRefused) {
  ReaderOptions o;
  o.max_fields = 3;
  EXPECT_EQ(error_of("a,b,c,d\n", o), "in.csv:1:7: more than 3 fields in one row");
}

TEST(CsvReader, ErrorStopsTheReader) {
  Reader reader(std::make_unique<std::istringstream>("\"x\"y\nfine\n"), "f.csv");
  Row row;
  EXPECT_FALSE(reader.next(row).is_ok());
  EXPECT_FALSE(reader.next(row).is_ok());  // no guessing where the next row starts
}

TEST(CsvReader, FiftyMegabyteFieldInAFileFailsWithFileAndLine) {
  test::TempDir dir;
  auto path = dir.path() / "users.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "sourcedId,givenName\n1,Anna\n2,";
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 50; ++i) out << chunk;
    out << "\n";
  }
  auto reader = open_file(path);
  ASSERT_TRUE(reader.is_ok());
  Row row;
  ASSERT_TRUE(*(*reader)->next(row));
  ASSERT_TRUE(*(*reader)->next(row));
  EXPECT_EQ(row.fields, (std::vector<std::string>{"1", "Anna"}));
  auto r = (*reader)->next(row);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), path.string() + ":3:3: a field longer than 1048576 bytes");
}

TEST(CsvReader, MissingFileIsAnIoError) {
  auto r = open_file("/nonexistent/users.csv");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::io);
  EXPECT_EQ(r.status().message(), "/nonexistent/users.csv: cannot open for reading");
}

}  // namespace
}  // namespace schakel::csv
