// The real schemas/ directory through core/schema (valijson): the examples in tests/data validate
// as they should, and every personal-data property carries a category from the closed list. The
// same examples are checked by ajv in tests/schema/ajv_check.mjs.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schema/schema_set.hpp"

using namespace schakel;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path k_source = SCHAKEL_SOURCE_DIR;

// The entities of DESIGN section 3; each has a schema and examples.
const std::vector<std::string> k_entities = {"school",   "student", "guardian", "staff",      "case",
                                             "consent",  "referral", "meeting", "audit_event"};

// Leaves without a category must be hub bookkeeping or organisation data. Keys that are
// bookkeeping wherever they appear:
const std::set<std::string> k_bookkeeping_keys = {
    "id",       "school_id", "student_id", "case_id",   "guardian_id", "staff_id",   "consent_ids",
    "status",   "version",   "updated_at", "sequence",  "kind",        "type",       "stage",
    "portal_id"};
// Specific uncategorised leaves, as "<entity>:<pointer>": organisation data of a school, consent
// and audit metadata (which names categories and purposes but carries none of their data).
const std::set<std::string> k_allowed_leaves = {
    "school:/brin", "school:/vestiging", "school:/naam", "school:/swv_code", "school:/swv_naam",
    "school:/sector", "school:/municipality", "school:/address/street", "school:/address/house_number",
    "school:/address/postcode", "school:/address/city", "school:/phone", "school:/email",
    "staff:/role", "staff:/organisation",
    "consent:/grantors/*/kind", "consent:/grantors/*/guardian_id", "consent:/recipients/*/organisation",
    "consent:/recipients/*/role", "consent:/purposes/*", "consent:/categories/*", "consent:/valid_from",
    "consent:/valid_until", "consent:/withdrawal/at", "consent:/withdrawal/by/kind",
    "consent:/withdrawal/by/guardian_id", "consent:/legal_basis", "consent:/evidence/form_version",
    "consent:/evidence/recorded_by", "consent:/evidence/recorded_at",
    "referral:/status_changed_at", "referral:/submitted_at",
    "meeting:/title", "meeting:/theme", "meeting:/time_zone", "meeting:/owner/connector_id",
    "meeting:/ical_uid",
    "audit_event:/time", "audit_event:/tenant", "audit_event:/action", "audit_event:/outcome",
    "audit_event:/recipient/organisation", "audit_event:/recipient/role", "audit_event:/purpose",
    "audit_event:/processing_activity", "audit_event:/categories/*", "audit_event:/connector",
    "audit_event:/outbox_id", "audit_event:/attempt", "audit_event:/payload_sha256",
    "audit_event:/trace_id", "audit_event:/detail", "audit_event:/prev_hash", "audit_event:/hash"};

json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream buf;
  buf << in.rdbuf();
  return json::parse(buf.str());
}

std::vector<fs::path> examples(const std::string& kind, const std::string& entity) {
  std::vector<fs::path> out;
  const fs::path dir = k_source / "tests" / "data" / kind / entity;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class CaseSchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto set = schema::SchemaSet::load(k_source / "schemas");
    ASSERT_TRUE(set) << set.status().message();
    set_ = new schema::SchemaSet(std::move(*set));
  }
  static void TearDownTestSuite() {
    delete set_;
    set_ = nullptr;
  }
  static const schema::SchemaSet& set() { return *set_; }

  static bool has_category(const std::string& entity, const std::string& pointer, const std::string& cat) {
    for (const auto& c : set_->categories(entity))
      if (c.pointer == pointer && c.category == cat) return true;
    return false;
  }

  static schema::SchemaSet* set_;
};
schema::SchemaSet* CaseSchemaTest::set_ = nullptr;

// Resolves a $ref ("#/definitions/x" or "common.schema.json#/definitions/x") to its target and
// the document it lives in.
const json* resolve(const schema::SchemaSet& set, const json& doc, const std::string& ref, const json** root) {
  const auto hash = ref.find('#');
  const std::string file = ref.substr(0, hash);
  *root = file.empty() ? &doc : set.raw(file);
  if (*root == nullptr) return nullptr;
  const std::string fragment = hash == std::string::npos ? "" : ref.substr(hash + 1);
  const json::json_pointer ptr(fragment);
  return (*root)->contains(ptr) ? &(*root)->at(ptr) : nullptr;
}

struct Leaf {
  std::string pointer;
  std::string key;
  bool categorised;
};

// Walks the declared shape (properties, items, $ref, allOf/anyOf/oneOf); if/then/else and not
// only constrain what is declared elsewhere, so they are not walked. Also collects every
// x-schakel-category value it meets, to check against the closed list.
void walk(const schema::SchemaSet& set, const json& root, const json& node, const std::string& pointer,
          const std::string& key, bool categorised, std::vector<Leaf>& leaves, std::vector<std::string>& cats,
          int depth) {
  ASSERT_LT(depth, 40) << "schema nesting too deep at " << pointer;
  if (!node.is_object()) return;
  if (auto it = node.find("x-schakel-category"); it != node.end()) {
    cats.push_back(it->is_string() ? it->get<std::string>() : it->dump());
    categorised = true;
  }
  bool has_children = false;
  if (auto it = node.find("$ref"); it != node.end()) {
    const json* next_root = nullptr;
    const json* target = resolve(set, root, it->get<std::string>(), &next_root);
    ASSERT_NE(target, nullptr) << "unresolved $ref " << *it << " at " << pointer;
    walk(set, *next_root, *target, pointer, key, categorised, leaves, cats, depth + 1);
    has_children = true;  // the target reports the leaf
  }
  if (auto it = node.find("properties"); it != node.end()) {
    for (const auto& [k, sub] : it->items())
      walk(set, root, sub, pointer + "/" + k, k, categorised, leaves, cats, depth + 1);
    has_children = true;
  }
  if (auto it = node.find("items"); it != node.end() && it->is_object()) {
    walk(set, root, *it, pointer + "/*", key, categorised, leaves, cats, depth + 1);
    has_children = true;
  }
  for (const char* comb : {"allOf", "anyOf", "oneOf"}) {
    if (auto it = node.find(comb); it != node.end()) {
      for (const auto& sub : *it) {
        // A branch that only constrains (if/then, not, enum) declares nothing to walk.
        if (!sub.contains("properties") && !sub.contains("$ref") && !sub.contains("items")) continue;
        has_children = true;
        walk(set, root, sub, pointer, key, categorised, leaves, cats, depth + 1);
      }
    }
  }
  if (!has_children) leaves.push_back({pointer, key, categorised});
}

}  // namespace

TEST_F(CaseSchemaTest, EveryEntityHasASchemaAndExamples) {
  for (const auto& entity : k_entities) {
    EXPECT_TRUE(set().has(entity)) << "schemas/" << entity << ".schema.json";
    EXPECT_GE(examples("valid", entity).size(), 2u) << "tests/data/valid/" << entity;
    EXPECT_GE(examples("invalid", entity).size(), 2u) << "tests/data/invalid/" << entity;
  }
  EXPECT_TRUE(set().has("common"));
}

TEST_F(CaseSchemaTest, ValidExamplesValidate) {
  for (const auto& entity : k_entities) {
    for (const auto& file : examples("valid", entity)) {
      const auto violations = set().validate(entity, read_json(file));
      std::string listed;
      for (const auto& v : violations) listed += "\n  " + v.pointer + ": " + v.message;
      EXPECT_TRUE(violations.empty()) << file.string() << listed;
    }
  }
}

TEST_F(CaseSchemaTest, InvalidExamplesFailAtTheirPointer) {
  for (const auto& entity : k_entities) {
    for (const auto& file : examples("invalid", entity)) {
      const json example = read_json(file);
      ASSERT_TRUE(example.contains("expect_pointer") && example.contains("document")) << file.string();
      const auto expected = example["expect_pointer"].get<std::string>();
      const auto violations = set().validate(entity, example["document"]);
      std::string listed;
      bool found = false;
      for (const auto& v : violations) {
        listed += "\n  '" + v.pointer + "': " + v.message;
        // Our validator names an unknown property itself; ajv names the object that has it.
        const bool unknown_in_expected = v.message == "unknown property" &&
                                         v.pointer.substr(0, v.pointer.find_last_of('/')) == expected;
        found = found || v.pointer == expected || unknown_in_expected;
      }
      EXPECT_TRUE(found) << file.string() << ": expected a violation at '" << expected << "', got:" << listed;
    }
  }
}

TEST_F(CaseSchemaTest, EveryPersonalDataLeafHasACategory) {
  for (const auto& entity : k_entities) {
    const json& root = *set().raw(entity);
    std::vector<Leaf> leaves;
    std::vector<std::string> cats;
    walk(set(), root, root, "", "", false, leaves, cats, 0);
    EXPECT_FALSE(leaves.empty()) << entity;
    for (const auto& leaf : leaves) {
      if (leaf.categorised || k_bookkeeping_keys.count(leaf.key)) continue;
      EXPECT_TRUE(k_allowed_leaves.count(entity + ":" + leaf.pointer))
          << entity << ":" << leaf.pointer << " has no x-schakel-category and is not known bookkeeping";
    }
    for (const auto& c : cats) EXPECT_TRUE(schema::is_known_category(c)) << entity << ": unknown category " << c;
  }
}

TEST_F(CaseSchemaTest, NoUnknownCategoryAnywhere) {
  // Every schema file, including definitions no entity uses yet.
  for (const auto& name : set().names()) {
    std::vector<const json*> stack = {set().raw(name)};
    while (!stack.empty()) {
      const json* node = stack.back();
      stack.pop_back();
      if (node->is_object()) {
        if (auto it = node->find("x-schakel-category"); it != node->end()) {
          ASSERT_TRUE(it->is_string()) << name;
          EXPECT_TRUE(schema::is_known_category(it->get<std::string>())) << name << ": " << *it;
        }
      }
      if (node->is_structured())
        for (const auto& child : *node) stack.push_back(&child);
    }
  }
  for (const auto& entity : k_entities)
    for (const auto& c : set().categories(entity))
      EXPECT_TRUE(schema::is_known_category(c.category)) << entity << c.pointer << ": " << c.category;
}

TEST_F(CaseSchemaTest, KeyPropertiesMapToTheirCategory) {
  EXPECT_TRUE(has_category("student", "/bsn", "identifier.bsn"));
  EXPECT_TRUE(has_category("student", "/eckid", "identifier.eckid"));
  EXPECT_TRUE(has_category("student", "/naam", "identity"));
  EXPECT_TRUE(has_category("student", "/las_key", "identity"));
  EXPECT_TRUE(has_category("student", "/birth_date", "identity"));
  EXPECT_TRUE(has_category("student", "/groep", "education"));
  EXPECT_TRUE(has_category("student", "/jaargroep", "education"));
  EXPECT_TRUE(has_category("guardian", "/naam", "identity"));
  EXPECT_TRUE(has_category("guardian", "/contact", "contact"));
  EXPECT_TRUE(has_category("staff", "/contact", "contact"));
  EXPECT_TRUE(has_category("case", "/concerns/family", "family"));
  EXPECT_TRUE(has_category("case", "/concerns/health", "health"));
  EXPECT_TRUE(has_category("case", "/concerns/wellbeing", "wellbeing"));
  EXPECT_TRUE(has_category("case", "/concerns/education", "education"));
  EXPECT_TRUE(has_category("case", "/questions", "case"));
  EXPECT_TRUE(has_category("case", "/agreements", "case"));
  EXPECT_TRUE(has_category("case", "/regie", "case"));
  EXPECT_TRUE(has_category("case", "/views", "views"));
  EXPECT_TRUE(has_category("case", "/attachments/*", "case"));
  EXPECT_TRUE(has_category("referral", "/health", "health"));
  EXPECT_TRUE(has_category("referral", "/family", "family"));
  EXPECT_TRUE(has_category("referral", "/parent_view", "views"));
  EXPECT_TRUE(has_category("referral", "/child_view", "views"));
  EXPECT_TRUE(has_category("referral", "/education_needs", "education"));
  EXPECT_TRUE(has_category("meeting", "/start", "meeting"));
  EXPECT_TRUE(has_category("meeting", "/standing_members", "meeting"));
  EXPECT_TRUE(has_category("meeting", "/agenda/*/start", "meeting"));
  EXPECT_TRUE(has_category("meeting", "/agenda/*/case_id", "case"));
  EXPECT_TRUE(has_category("meeting", "/agenda/*/student_id", "case"));
  EXPECT_TRUE(has_category("meeting", "/agenda/*/joining", "case"));
  EXPECT_TRUE(has_category("audit_event", "/subject", "identity"));
  // Bookkeeping carries none: the gate must never withhold an id or a status.
  for (const auto& entity : k_entities)
    for (const auto& c : set().categories(entity))
      EXPECT_TRUE(c.pointer != "/id" && c.pointer != "/status" && c.pointer != "/school_id")
          << entity << c.pointer << " is bookkeeping but has category " << c.category;
  EXPECT_TRUE(set().categories("school").empty());
}

TEST_F(CaseSchemaTest, HealthAppearsOnlyWhereItIsMeant) {
  // Special category data (AVG art. 9) must be easy to find: exactly these places.
  std::set<std::string> found;
  for (const auto& entity : k_entities)
    for (const auto& c : set().categories(entity))
      if (c.category == "health") found.insert(entity + ":" + c.pointer);
  EXPECT_EQ(found, (std::set<std::string>{"case:/concerns/health", "referral:/health"}));
}
