// json_text writes the very bytes nlohmann's dump() writes (stored documents are compared as
// text), and parse_json_text reads what nlohmann's parse() reads, with the same types.
#include "base/json_text.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace schakel {
namespace {

using nlohmann::json;

TEST(JsonText, EscapesAsDumpDoes) {
  const json doc = {{"naam", "Zoë \"Çelik\"\\/\b\f\n\r\t\x01\x1f\x7f"}, {"leeg", json::object()}, {"lijst", json::array()},
                    {"n", -12}, {"u", std::numeric_limits<std::uint64_t>::max()}, {"ja", true}, {"niets", nullptr}};
  EXPECT_EQ(json_text(doc),
            "{\"ja\":true,\"leeg\":{},\"lijst\":[],\"n\":-12,\"naam\":\"Zoë \\\"Çelik\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\","
            "\"niets\":null,\"u\":18446744073709551615}");
  EXPECT_EQ(json_text(doc), doc.dump());
}

// Seeded random documents: nested objects and arrays, every control character, quotes and
// backslashes, two- to four-byte UTF-8, integers at their limits and floating point numbers.
json random_value(std::mt19937& rng, int depth) {
  static const std::vector<std::string> pieces = {"a", "Ümit", "van der", "\"", "\\", "/", "\x7f", "中", "😀", "é",
                                                  " ", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf", "0"};
  const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const auto text = [&] {
    std::string s;
    for (std::size_t i = pick(8); i > 0; --i) {
      if (pick(4) == 0) s.push_back(static_cast<char>(pick(0x20)));
      else s += pieces[pick(pieces.size())];
    }
    return s;
  };
  switch (depth > 3 ? 2 + pick(7) : pick(9)) {
    case 0: {
      json o = json::object();
      for (std::size_t i = pick(5); i > 0; --i) o[text()] = random_value(rng, depth + 1);
      return o;
    }
    case 1: {
      json a = json::array();
      for (std::size_t i = pick(5); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    case 2: return text();
    case 3: return std::int64_t(rng()) - std::int64_t(rng()) * 4096;
    case 4: return pick(2) ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    case 5: return std::uint64_t(rng()) << 32 | rng();
    case 6: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 7: return pick(2) == 0;
    default: return nullptr;
  }
}

TEST(JsonText, AgreesWithDumpOnRandomDocuments) {
  std::mt19937 rng(20261124);
  for (int i = 0; i < 3000; ++i) {
    const json doc = random_value(rng, 0);
    ASSERT_EQ(json_text(doc), doc.dump()) << "document " << i;
  }
}

TEST(JsonText, InvalidUtf8FailsAsDumpDoes) {
  // A lone continuation byte, a truncated sequence, an overlong form, a surrogate, past U+10FFFF.
  for (const std::string bad : {"a\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const json doc = {{"naam", bad}};
    EXPECT_THROW((void)json_text(doc), json::type_error) << bad;
    EXPECT_THROW((void)json_text(json{{bad, 1}}), json::type_error) << bad;
  }
}

// The text of a member, for a store that keeps it instead of writing the member again: given
// exactly when it is what json_text writes for the member's value.
TEST(JsonText, GivesAMembersTextWhenItIsWrittenAsJsonTextWritesIt) {
  std::mt19937 rng(20261126);
  for (int i = 0; i < 2000; ++i) {
    const json record = random_value(rng, 1);
    const json envelope = {{"active", true}, {"record", record}, {"source", "users.csv:2"}};
    std::string_view text;
    const std::string written = json_text(envelope);
    const json read = parse_json_text(written, "record", &text);
    ASSERT_EQ(read, envelope);
    // Floating point numbers are the parser's, and so is the member's text then.
    if (written.find('.') == std::string::npos && written.find("\\u") == std::string::npos) {
      ASSERT_EQ(text, json_text(record)) << "document " << i;
    } else if (!text.empty()) {
      ASSERT_EQ(text, json_text(record)) << "document " << i;
    }
  }
  auto member = [](const std::string& written) {
    std::string_view text = "not set";
    (void)parse_json_text(written, "record", &text);
    return std::string(text);
  };
  EXPECT_EQ(member(R"({"active":true,"record":{"a":[1,-2,"x\ny"],"b":{}},"z":0})"), R"({"a":[1,-2,"x\ny"],"b":{}})");
  EXPECT_EQ(member(R"({"record":"Zoë"})"), R"("Zoë")");
  // Not as json_text writes it: spaces, members out of order, "\/", -0, a member given twice.
  EXPECT_EQ(member(R"({"record":{"a": 1}})"), "");
  EXPECT_EQ(member(R"({"record":[1, 2]})"), "");
  EXPECT_EQ(member(R"({"record":{"b":1,"a":2}})"), "");
  EXPECT_EQ(member(R"({"record":"a\/b"})"), "");
  EXPECT_EQ(member(R"({"record":-0})"), "");
  EXPECT_EQ(member(R"({"record":1,"record":2})"), "");
  EXPECT_EQ(member(R"({"record":{"x":1.5}})"), "");  // the parser's
  // Only the top-level object's member; spaces outside it do not matter.
  EXPECT_EQ(member(R"({"inner":{"record":1}})"), "");
  EXPECT_EQ(member(R"( { "active" : true , "record" : {"a":1} } )"), R"({"a":1})");
  EXPECT_EQ(member("not json"), "");
}

// JsonWriter, walking a document in its own order, writes what dump() writes: floating point
// numbers and nulls aside, which no producer writes with it.
void write_with(JsonWriter& w, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      w.open_object();
      for (const auto& [k, member] : v.items()) {
        w.key(k);
        write_with(w, member);
      }
      w.close_object();
      return;
    case json::value_t::array:
      w.open_array();
      for (const auto& element : v) write_with(w, element);
      w.close_array();
      return;
    case json::value_t::string: w.string(v.get_ref<const std::string&>()); return;
    case json::value_t::boolean: w.boolean(v.get<bool>()); return;
    case json::value_t::number_integer: w.integer(v.get<std::int64_t>()); return;
    default: w.raw(v.dump()); return;  // floating point, unsigned, null: as text written before
  }
}

TEST(JsonWriter, WritesWhatDumpWrites) {
  std::mt19937 rng(20261125);
  for (int i = 0; i < 3000; ++i) {
    const json doc = random_value(rng, 0);
    std::string text;
    JsonWriter w(text);
    write_with(w, doc);
    ASSERT_EQ(text, doc.dump()) << "document " << i;
  }
  std::string text;
  JsonWriter(text).open_object().member("naam", "Zoë").key("kinderen").open_array().open_object().close_object()
      .integer(-3).boolean(false).close_array().key("leeg").open_array().close_array().close_object();
  EXPECT_EQ(text, R"({"naam":"Zoë","kinderen":[{},-3,false],"leeg":[]})");
}

TEST(JsonWriter, InvalidUtf8FailsAsDumpDoes) {
  for (const std::string bad : {"a\x80", "\xc3", "\xed\xa0\x80"}) {
    std::string text;
    JsonWriter w(text);
    w.open_object();
    EXPECT_THROW(w.member("naam", bad), json::type_error) << bad;
    EXPECT_THROW(w.key(bad), json::type_error) << bad;
  }
}

// Equal and of the same types throughout (== takes 1 and 1u, even 1.0, for equal).
bool same(const json& a, const json& b) {
  if (a.type() != b.type() || a != b) return false;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!same(it.value(), b.at(it.key()))) return false;
  } else if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
  }
  return true;
}

json reference(const std::string& text) { return json::parse(text, nullptr, false); }

TEST(JsonText, ReadsWhatParseReads) {
  std::mt19937 rng(4242);
  for (int i = 0; i < 3000; ++i) {
    const json doc = random_value(rng, 0);
    for (const std::string& text : {doc.dump(), doc.dump(2), doc.dump(-1, ' ', true)}) {
      const json got = parse_json_text(text);
      ASSERT_TRUE(same(got, reference(text))) << text;
    }
  }
  for (const std::string text : {R"({"a":1,"a":-2})", R"({"b":1,"a":2,"b":3,"c":{"z":0,"y":[1]}})"})
    EXPECT_TRUE(same(parse_json_text(text), reference(text))) << text << ": members out of order, the last of a repeated name";
  for (const std::string text : {"-0", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
                                 "18446744073709551616", "1.5", "1e3", "\"\\ud83d\\ude00\"", "\xef\xbb\xbf{}", " [ ] "})
    EXPECT_TRUE(same(parse_json_text(text), reference(text))) << text;
}

TEST(JsonText, RefusesWhatParseRefuses) {
  // Each valid text, broken at a random place (a byte dropped, one put in, the end cut off): the
  // answer is parse()'s, a value or discarded.
  std::mt19937 rng(99);
  const std::string bytes = ",:{}[]\"\\ \n0-.eE+tfnu\x01\x80\xc3\xff";
  std::size_t refused = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text = random_value(rng, 0).dump();
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size())(rng);
    switch (rng() % 3) {
      case 0: if (at < text.size()) text.erase(at, 1); break;
      case 1: text.insert(at, 1, bytes[rng() % bytes.size()]); break;
      default: text.resize(at);
    }
    const json want = reference(text);
    refused += want.is_discarded() ? 1 : 0;
    const json got = parse_json_text(text);
    ASSERT_EQ(got.is_discarded(), want.is_discarded()) << text;
    if (!want.is_discarded()) {
      ASSERT_TRUE(same(got, want)) << text;
    }
  }
  EXPECT_GT(refused, 1000u) << "the broken texts must mostly be refused, or this test shows nothing";
}

}  // namespace
}  // namespace schakel
