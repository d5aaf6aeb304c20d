#include "schema/schema_set.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "../../../support/temp_dir.hpp"

using namespace schakel;
using nlohmann::json;

namespace {

void write(const std::filesystem::path& p, const json& j) { std::ofstream(p) << j.dump(2); }

class SchemaSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir_.path() / "common.schema.json", json::parse(R"({
      "$schema": "http://json-schema.org/draft-07/schema#",
      "$id": "https://schemas.schakel.invalid/common.schema.json",
      "definitions": {
        "name": {"type": "object", "x-schakel-category": "identity",
                 "properties": {"achternaam": {"type": "string"}}, "required": ["achternaam"]}
      }})"));
    write(dir_.path() / "thing.schema.json", json::parse(R"({
      "$schema": "http://json-schema.org/draft-07/schema#",
      "$id": "https://schemas.schakel.invalid/thing.schema.json",
      "type": "object", "required": ["id", "naam"], "additionalProperties": false,
      "properties": {
        "id": {"type": "string"},
        "naam": {"$ref": "common.schema.json#/definitions/name"},
        "bsn": {"type": "string", "pattern": "^[0-9]{9}$", "x-schakel-category": "identifier.bsn"},
        "agreements": {"type": "array", "items": {"type": "object", "properties": {
          "what": {"type": "string", "x-schakel-category": "case"}}}}
      }})"));
  }
  test::TempDir dir_;
};

}  // namespace

TEST_F(SchemaSetTest, ValidatesWithPointers) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set) << set.status().message();
  EXPECT_TRUE(set->validate("thing", json::parse(R"({"id":"1","naam":{"achternaam":"Bakker"}})")).empty());
  auto v = set->validate("thing.schema.json",
                         json::parse(R"({"id":1,"naam":{},"bsn":"12","extra":true})"));
  std::set<std::string> pointers;
  for (const auto& x : v) pointers.insert(x.pointer);
  EXPECT_TRUE(pointers.count("/id"));
  EXPECT_TRUE(pointers.count("/naam"));
  EXPECT_TRUE(pointers.count("/bsn"));
  EXPECT_TRUE(pointers.count("") || pointers.count("/extra"));
}

TEST_F(SchemaSetTest, CategoriesFollowRefsAndArrays) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set);
  const auto& cats = set->categories("thing");
  auto has = [&](const std::string& p, const std::string& c) {
    for (const auto& x : cats)
      if (x.pointer == p && x.category == c) return true;
    return false;
  };
  EXPECT_TRUE(has("/naam", "identity"));
  EXPECT_TRUE(has("/bsn", "identifier.bsn"));
  EXPECT_TRUE(has("/agreements/*/what", "case"));
  EXPECT_EQ(cats.size(), 3u);
}

TEST_F(SchemaSetTest, BrokenSchemaFileIsNamed) {
  std::ofstream(dir_.path() / "broken.schema.json") << "{ not json";
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_FALSE(set);
  EXPECT_NE(set.status().message().find("broken.schema.json"), std::string::npos);
}

TEST_F(SchemaSetTest, UnknownSchemaIsAViolation) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set);
  auto v = set->validate("nope", json::object());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("unknown schema"), std::string::npos);
}

// A plugin's stream schema is often just "the case schema's student": a top-level $ref into the
// set. It must validate like the schema it names, and a $ref cycle is refused, not followed.
TEST_F(SchemaSetTest, TopLevelRefValidatesLikeTheSchemaItNames) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set) << set.status().message();
  ASSERT_TRUE(set->add("x-plugin-stream.things", json{{"$ref", "thing.schema.json"}}));
  EXPECT_TRUE(set->validate("x-plugin-stream.things", json{{"id", "1"}, {"naam", {{"achternaam", "Çelik"}}}}).empty());
  auto vs = set->validate("x-plugin-stream.things", json{{"id", "1"}, {"naam", json::object()}});
  ASSERT_FALSE(vs.empty());
  EXPECT_EQ(vs.front().pointer, "/naam");
}

TEST_F(SchemaSetTest, RefCyclesAndDanglingRefsAreRefusedWithTheirPlace) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set) << set.status().message();
  auto self = set->add("x-plugin-stream.self", json{{"$ref", "#"}});
  ASSERT_FALSE(self);
  EXPECT_NE(self.message().find("$ref cycle"), std::string::npos) << self.message();
  auto loop = set->add("x-plugin-stream.loop", json::parse(R"({"type": "object", "properties": {"a": {"$ref": "#/definitions/b"}},
      "definitions": {"b": {"$ref": "#/definitions/c"}, "c": {"$ref": "#/definitions/b"}}})"));
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.message().find("$ref cycle at /definitions/b (#/definitions/c -> #/definitions/b)"),
            std::string::npos) << loop.message();
  auto dangling = set->add("x-plugin-stream.dangling", json{{"$ref", "nosuch.schema.json"}});
  ASSERT_FALSE(dangling);
  EXPECT_NE(dangling.message().find("$ref 'nosuch.schema.json' at the root leads nowhere"), std::string::npos) << dangling.message();
  EXPECT_FALSE(set->has("x-plugin-stream.self"));
  // Recursion through properties is no cycle of $refs: a tree of things is fine.
  EXPECT_TRUE(set->add("x-plugin-stream.tree", json::parse(R"({"type": "object",
      "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}})")));
}

TEST_F(SchemaSetTest, RefInsideAnAddedSchemaNamesTheFileNotItself) {
  auto set = schema::SchemaSet::load(dir_.path());
  ASSERT_TRUE(set) << set.status().message();
  ASSERT_TRUE(set->add("x-plugin-stream.wrapped", json::parse(R"({"type": "object", "allOf": [{"$ref": "thing.schema.json"}]})")));
  auto vs = set->validate("x-plugin-stream.wrapped", json{{"id", "1"}});
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_NE(vs.front().message.find("naam"), std::string::npos) << vs.front().message;
}
