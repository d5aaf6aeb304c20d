// The hand-written date, time and date-time checks accept exactly what valijson accepts, and
// SchemaSet's fast path gives the same violations as the full validation.
#include "schema/format_fast_path.hpp"

#include <gtest/gtest.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "schema/schema_set.hpp"

namespace schakel::schema {
namespace {

using nlohmann::json;

bool valijson_accepts(const std::string& format, const std::string& value) {
  json s = {{"type", "string"}, {"format", format}};
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter sa(s);
  parser.populateSchema(sa, schema);
  valijson::Validator v;
  json doc = value;
  valijson::adapters::NlohmannJsonAdapter da(doc);
  return v.validate(schema, da, nullptr);
}

const std::vector<std::string> k_samples = {
    "2026-03-04", "2026-02-29", "2026-02-30", "2026-04-31", "2026-08-31", "2026-09-31", "2026-12-31",
    "2026-13-01", "2026-00-10", "2026-01-00", "26-1-1", "1-01-01", "2026-03-04 ", " 2026-03-04", "",
    "2026-03-04T09:15:00Z", "2026-03-04t09:15:00z", "2026-03-04T09:15:00.123456Z", "2026-03-04T09:15:00.Z",
    "2026-03-04T24:00:00Z", "2026-03-04T23:59:60Z", "2026-03-04T23:59:61Z", "2026-03-04T09:15:00+02:00",
    "2026-03-04T09:15:00|02:00", "2026-03-04T09:15:00+24:00", "2026-03-04T09:15:00+02:60", "2026-03-04T09:15:00",
    "2026-03-04T09:15Z", "2026-11-31T00:00:00Z", "2026-02-29T00:00:00-01:00", "09:15:00Z", "09:15:00.5+01:00",
    "9:15:00Z", "23:59:60z", "12:00:00", "2026-03-04T09:15:00Zx", "2026-03-04Z", "20260304"};

TEST(FormatFastPath, AcceptsExactlyWhatValijsonAccepts) {
  for (const char* format : {"date", "time", "date-time"})
    for (const auto& s : k_samples) EXPECT_EQ(format_ok(format, s), valijson_accepts(format, s)) << format << " " << s;
}

TEST(FormatFastPath, TheFastPathKeepsTheFullViolations) {
  auto set = SchemaSet::load(default_schema_dir());
  ASSERT_TRUE(set.is_ok()) << set.status().message();
  json student = {{"id", "stu-1"}, {"birth_date", "2014-02-30"}};
  // Whatever the student schema requires, the fast path must report what the full path reports.
  auto fast = set->validate("student", student);
  EXPECT_FALSE(fast.empty());
  bool date_reported = false;
  for (const auto& v : fast) date_reported = date_reported || v.message.find("valid date") != std::string::npos;
  EXPECT_TRUE(date_reported);
  json schema = {{"type", "object"},
                 {"properties", {{"when", {{"type", "string"}, {"format", "date-time"}}},
                                 {"list", {{"type", "array"}, {"items", {{"type", "string"}, {"format", "date"}}}}}}}};
  ASSERT_TRUE(set->add("probe", schema).is_ok());
  EXPECT_TRUE(set->validate("probe", {{"when", "2026-03-04T09:15:00Z"}, {"list", {"2026-01-31"}}}).empty());
  auto v = set->validate("probe", {{"when", "2026-03-04T09:15:00Z"}, {"list", {"2026-01-31", "2026-04-31"}}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/list/1");
  EXPECT_EQ(v[0].message, "String should be a valid date-time");  // valijson's own words for a bad day
  // A format under oneOf has no fast path but is still checked.
  json under_one_of = {{"oneOf", {{{"type", "string"}, {"format", "date"}}, {{"type", "integer"}}}}};
  ASSERT_TRUE(set->add("one_of", under_one_of).is_ok());
  EXPECT_FALSE(set->validate("one_of", "2026-02-31").empty());
  EXPECT_TRUE(set->validate("one_of", "2026-02-28").empty());
}

TEST(FormatFastPath, ADateThatIsNotAStringIsAViolationNotACrash) {
  auto set = SchemaSet::load(default_schema_dir());
  ASSERT_TRUE(set.is_ok()) << set.status().message();
  // valijson cannot apply "format" to a number; the record is refused with a reason instead.
  auto v = set->validate("student", {{"id", "stu-1"}, {"birth_date", 20140215}});
  ASSERT_FALSE(v.empty());
  bool named = false;
  for (const auto& x : v) named = named || x.message.find("date") != std::string::npos;
  EXPECT_TRUE(named);
  // A pattern std::regex cannot compile is a violation too, not a crash.
  ASSERT_TRUE(set->add("bad_pattern", {{"type", "string"}, {"pattern", "(a"}}).is_ok());
  EXPECT_FALSE(set->validate("bad_pattern", "a").empty());
}

}  // namespace
}  // namespace schakel::schema
