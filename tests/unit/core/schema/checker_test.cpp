// The Checker against valijson. The corpus (tests/data/valid, tests/data/invalid) and a few
// thousand seeded mutations of its valid documents go through both: whenever the Checker says
// valid, valijson must agree, and every valid document of the corpus is proven valid by the
// Checker alone (else the import's fast path is lost without anyone noticing).
#include "schema/checker.hpp"

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "schema/schema_set.hpp"

namespace schakel::schema {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json read(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& e : fs::directory_iterator(default_schema_dir()))
      if (e.path().string().ends_with(".schema.json")) files_[e.path().filename().string()] = read(e.path());
    auto set = SchemaSet::load(default_schema_dir());
    ASSERT_TRUE(set) << set.status().message();
    set_ = std::make_unique<SchemaSet>(std::move(*set));
  }

  const json* lookup(const json& root, const std::string& ref, const json** new_root) const {
    const auto hash = ref.find('#');
    const json* doc = &root;
    if (hash != 0) {
      auto file = ref.substr(0, hash);
      file = file.substr(file.rfind('/') + 1);
      auto it = files_.find(file);
      if (it == files_.end()) return nullptr;
      doc = &it->second;
    }
    *new_root = doc;
    if (hash == std::string::npos || hash + 1 == ref.size()) return doc;
    const json::json_pointer ptr(ref.substr(hash + 1));
    return doc->contains(ptr) ? &doc->at(ptr) : nullptr;
  }

  std::unique_ptr<Checker> checker(const std::string& name) const {
    return Checker::compile(files_.at(name + ".schema.json"),
                            [this](const json& root, const std::string& ref, const json** new_root) {
                              return lookup(root, ref, new_root);
                            });
  }

  // valijson's answer, through the SchemaSet (its full path when the Checker is not sure).
  bool valijson_valid(const std::string& name, const json& doc) const { return set_->validate(name, doc).empty(); }

  std::map<std::string, json> files_;
  std::unique_ptr<SchemaSet> set_;
};

// Each document differing from `doc` in one place: a member removed, replaced by a value of
// another type or an edge value, an unknown member added, an array item repeated.
void mutations(const json& doc, const json::json_pointer& at, std::vector<json>& out, std::mt19937& rng) {
  const json& node = doc.at(at);
  static const std::vector<json> replacements = {
      nullptr, true, 0, -1, 1.5, 100000, "", "x", std::string(300, 'a'), "2026-02-30", "2026-03-04",
      "2026-03-04T09:15:00Z", "1234 AB", "PO1234", json::array(), json::array({"a", "a"}), json::object(),
      json{{"unknown", 1}}};
  std::uniform_int_distribution<std::size_t> pick(0, replacements.size() - 1);
  if (!at.empty()) {
    for (int i = 0; i < 3; ++i) {
      json m = doc;
      m.at(at) = replacements[pick(rng)];
      out.push_back(std::move(m));
    }
    json removed = doc;
    removed.at(at.parent_pointer()).is_object() ? (void)removed.at(at.parent_pointer()).erase(at.back())
                                                : (void)removed.at(at.parent_pointer()).erase(std::stoul(at.back()));
    out.push_back(std::move(removed));
  }
  if (node.is_object()) {
    json added = doc;
    added.at(at)["not_in_the_schema"] = "x";
    out.push_back(std::move(added));
    for (const auto& [key, _] : node.items()) mutations(doc, at / key, out, rng);
  } else if (node.is_array()) {
    if (!node.empty()) {
      json repeated = doc;
      repeated.at(at).push_back(node.front());
      out.push_back(std::move(repeated));
    }
    for (std::size_t i = 0; i < node.size(); ++i) mutations(doc, at / i, out, rng);
  } else if (node.is_string() && !node.get<std::string>().empty()) {
    for (std::string changed : {node.get<std::string>() + " ", node.get<std::string>().substr(1),
                                node.get<std::string>() + "\xc3\xab"}) {
      json m = doc;
      m.at(at) = changed;
      out.push_back(std::move(m));
    }
  }
}

TEST_F(CheckerTest, EveryCaseSchemaCompiles) {
  for (const auto& [file, _] : files_) EXPECT_NE(checker(file.substr(0, file.find('.'))), nullptr) << file;
}

TEST_F(CheckerTest, TheCorpusGetsValijsonsAnswerAndEveryValidDocumentIsProvenByTheCheckerAlone) {
  std::size_t valid = 0, invalid = 0;
  for (const char* kind : {"valid", "invalid"}) {
    for (const auto& dir : fs::directory_iterator(fs::path(SCHAKEL_SOURCE_DIR) / "tests/data" / kind)) {
      const std::string name = dir.path().filename().string();
      auto c = checker(name);
      ASSERT_NE(c, nullptr) << name;
      for (const auto& f : fs::directory_iterator(dir.path())) {
        const bool expected = std::string(kind) == "valid";
        // An invalid example is {"expect_pointer": ..., "document": ...} (schemas/README.md).
        const json doc = expected ? read(f.path()) : read(f.path()).at("document");
        EXPECT_EQ(valijson_valid(name, doc), expected) << f.path();
        EXPECT_EQ(c->valid(doc), expected) << f.path();
        ++(expected ? valid : invalid);
      }
    }
  }
  EXPECT_GT(valid, 20u);
  EXPECT_GT(invalid, 60u);
}

TEST_F(CheckerTest, AMutatedDocumentTheCheckerCallsValidIsValidForValijsonToo) {
  std::mt19937 rng(20261124);
  std::size_t tried = 0, proven = 0, agreed_invalid = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(SCHAKEL_SOURCE_DIR) / "tests/data/valid")) {
    const std::string name = dir.path().filename().string();
    auto c = checker(name);
    ASSERT_NE(c, nullptr) << name;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::vector<json> docs;
      mutations(read(f.path()), json::json_pointer(), docs, rng);
      // A seeded sample per document keeps the sanitizer build quick.
      std::shuffle(docs.begin(), docs.end(), rng);
      if (docs.size() > 80) docs.resize(80);
      for (const auto& doc : docs) {
        ++tried;
        const bool reference = valijson_valid(name, doc);
        if (c->valid(doc)) {
          ++proven;
          EXPECT_TRUE(reference) << name << ": the Checker let through " << doc.dump();
        } else if (!reference) {
          ++agreed_invalid;
        }
      }
    }
  }
  EXPECT_GT(tried, 1500u);
  // Both answers occur often: the mutations reach both sides of the schemas' edges.
  EXPECT_GT(proven, tried / 10);
  EXPECT_GT(agreed_invalid, tried / 10);
}

TEST_F(CheckerTest, UnsureAnswersAndUnknownKeywordsAreLeftToValijson) {
  auto lookup_none = [](const json&, const std::string&, const json**) -> const json* { return nullptr; };
  // A keyword the checker does not implement: no checker at all.
  EXPECT_EQ(Checker::compile(json{{"type", "object"}, {"patternProperties", {{"^a", {{"type", "string"}}}}}}, lookup_none),
            nullptr);
  EXPECT_EQ(Checker::compile(json{{"$ref", "missing.schema.json"}}, lookup_none), nullptr);
  EXPECT_EQ(Checker::compile(json{{"type", "string"}, {"pattern", "(a"}}, lookup_none), nullptr);
  // A number against an enum with numbers: not certain, so never "valid" by the checker...
  auto numbers = Checker::compile(json{{"enum", {1, 2}}}, lookup_none);
  ASSERT_NE(numbers, nullptr);
  EXPECT_FALSE(numbers->valid(1));
  // ...and not "invalid" either: under "not" the unsure answer stays unsure.
  auto negated = Checker::compile(json{{"not", {{"enum", {1, 2}}}}}, lookup_none);
  ASSERT_NE(negated, nullptr);
  EXPECT_FALSE(negated->valid(3));
  auto strings = Checker::compile(json{{"not", {{"enum", {"a", "b"}}}}}, lookup_none);
  EXPECT_TRUE(strings->valid("c"));
  EXPECT_FALSE(strings->valid("a"));
  // valijson counts code points, and stops at a NUL.
  auto length = Checker::compile(json{{"type", "string"}, {"maxLength", 2}}, lookup_none);
  EXPECT_TRUE(length->valid("\xc3\xab\xc3\xab"));
  EXPECT_FALSE(length->valid("abc"));
  EXPECT_FALSE(length->valid(std::string("a\0bcd", 5)));
}

}  // namespace
}  // namespace schakel::schema
