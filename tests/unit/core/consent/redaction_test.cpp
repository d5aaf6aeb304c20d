#include "consent/redaction.hpp"

#include <gtest/gtest.h>

#include "../../../support/temp_dir.hpp"

using namespace schakel;
using namespace schakel::consent;
using nlohmann::json;

namespace {

const json k_referral_schema = json::parse(R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object", "required": ["id", "student", "request"],
  "definitions": {
    "name": {"type": "object", "x-schakel-category": "identity", "required": ["achternaam"],
             "properties": {"voornamen": {"type": "string"}, "achternaam": {"type": "string"}}}
  },
  "properties": {
    "id": {"type": "string"},
    "student": {"type": "object", "required": ["naam"], "properties": {
      "naam": {"$ref": "#/definitions/name"},
      "bsn": {"type": "string", "x-schakel-category": "identifier.bsn"},
      "eckid": {"type": "string", "x-schakel-category": "identifier.eckid"},
      "care": {"type": "object", "x-schakel-category": "health", "properties": {
        "diagnosis": {"type": "string"},
        "next_check": {"type": "string", "x-schakel-category": "meeting"}}}}},
    "request": {"type": "string", "x-schakel-category": "case"},
    "agreements": {"type": "array", "items": {"type": "object", "required": ["what"], "properties": {
      "what": {"type": "string", "x-schakel-category": "case"},
      "owner": {"type": "string", "x-schakel-category": "identity"}}}},
    "attachments": {"type": "array", "items": {"type": "object", "properties": {
      "category": {"type": "string"}, "filename": {"type": "string", "x-schakel-category": "case"}}}},
    "views": {"type": "array", "items": {"type": "string", "x-schakel-category": "views"}}
  }})");

const json k_document = json::parse(R"({
  "id": "r1",
  "student": {"naam": {"voornamen": "Sem", "achternaam": "Jansen"}, "bsn": "123456782", "eckid": "https://ketenid.nl/x",
              "care": {"diagnosis": "asthma", "next_check": "2026-04-01"}},
  "request": "arrangement",
  "agreements": [{"what": "weekly talk", "owner": "ib-1"}, {"what": "report", "owner": "teacher-2"}],
  "attachments": [{"category": "health", "filename": "assessment.pdf"}, {"filename": "plan.pdf"},
                  {"category": "wellbeing", "filename": "observation.pdf"}],
  "views": ["we agree", "I like school"]
})");

Decision permit_all_but(const std::vector<std::string>& denied) {
  Decision d;
  for (const auto& c : schema::known_categories()) {
    const bool ok = std::find(denied.begin(), denied.end(), c) == denied.end();
    d.categories.push_back({c, ok, ok ? std::vector<std::string>{"c-" + c} : std::vector<std::string>{},
                            ok ? "permitted" : "no consent for category " + c});
  }
  return d;
}

class RedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = schema::SchemaSet::load(dir_.path());
    ASSERT_TRUE(set) << set.status().message();
    set_ = std::make_unique<schema::SchemaSet>(std::move(*set));
    ASSERT_TRUE(set_->add("referral", k_referral_schema));
  }
  const std::vector<schema::CategoryPath>& paths() const { return set_->categories("referral"); }
  GateResult gate(const std::vector<std::string>& denied, RoutePolicy policy = RoutePolicy::redact,
                  const std::vector<std::string>& required = {}) const {
    return apply_gate(k_document, paths(), permit_all_but(denied), policy, required);
  }

  test::TempDir dir_;
  std::unique_ptr<schema::SchemaSet> set_;
};

}  // namespace

TEST_F(RedactionTest, CategoriesPresentIncludeAttachmentsByTheirOwnCategory) {
  EXPECT_EQ(categories_present(k_document, paths()),
            (std::vector<std::string>{"case", "health", "identifier.bsn", "identifier.eckid", "identity", "meeting",
                                      "views", "wellbeing"}));
  EXPECT_EQ(categories_present(json{{"id", "r1"}}, paths()), std::vector<std::string>{});
}

TEST_F(RedactionTest, AllPermittedSendsTheDocumentUnchanged) {
  auto r = gate({});
  EXPECT_EQ(r.outcome, GateOutcome::permitted);
  EXPECT_EQ(r.document, k_document);
  EXPECT_TRUE(r.denied_categories.empty());
  EXPECT_EQ(r.consent_ids.size(), 8u);
}

TEST_F(RedactionTest, RemovesExactlyTheDeniedValuesNestedAndInArrays) {
  auto r = gate({"health", "identity", "views", "identifier.bsn"});
  ASSERT_EQ(r.outcome, GateOutcome::redacted) << r.reasons.front();
  const json expected = json::parse(R"({
    "id": "r1",
    "student": {"eckid": "https://ketenid.nl/x", "care": {"next_check": "2026-04-01"}},
    "request": "arrangement",
    "agreements": [{"what": "weekly talk"}, {"what": "report"}],
    "attachments": [{"filename": "plan.pdf"}, {"category": "wellbeing", "filename": "observation.pdf"}],
    "views": []
  })");
  EXPECT_EQ(r.document, expected) << r.document.dump(2);
  EXPECT_EQ(r.denied_categories, (std::vector<std::string>{"health", "identifier.bsn", "identity", "views"}));
  EXPECT_EQ(r.reasons.front(), "health: no consent for category health");
  // In document order; nlohmann::json keeps object keys sorted.
  EXPECT_EQ(r.removed, (std::vector<std::string>{"/agreements/0/owner", "/agreements/1/owner", "/attachments/0",
                                                 "/student/bsn", "/student/care/diagnosis", "/student/naam",
                                                 "/views/0", "/views/1"}));
  // What leaves is accounted for by the consents covering what is left.
  EXPECT_EQ(r.consent_ids, (std::vector<std::string>{"c-case", "c-identifier.eckid", "c-meeting", "c-wellbeing"}));
}

TEST_F(RedactionTest, AnAttachmentIsJudgedByItsOwnCategoryDefaultCase) {
  auto r = gate({"case"});
  ASSERT_EQ(r.outcome, GateOutcome::redacted);
  EXPECT_EQ(r.document["attachments"],
            json::parse(R"([{"category": "health", "filename": "assessment.pdf"},
                            {"category": "wellbeing", "filename": "observation.pdf"}])"));
  EXPECT_FALSE(r.document.contains("request"));
  EXPECT_EQ(r.document["agreements"], json::parse(R"([{"owner": "ib-1"}, {"owner": "teacher-2"}])"));
}

TEST_F(RedactionTest, BlockPolicySendsNothing) {
  auto r = gate({"views"}, RoutePolicy::block);
  EXPECT_EQ(r.outcome, GateOutcome::blocked);
  EXPECT_TRUE(r.document.is_null());
  EXPECT_EQ(r.denied_categories, std::vector<std::string>{"views"});
  EXPECT_EQ(r.reasons[0], "the route blocks a document with a denied category");
  EXPECT_EQ(r.reasons[1], "views: no consent for category views");
}

TEST_F(RedactionTest, ADeniedCategoryTheDestinationRequiresBlocks) {
  const auto required = required_pointers(k_referral_schema);
  EXPECT_EQ(required, (std::vector<std::string>{"/agreements/*/what", "/id", "/request", "/student",
                                                "/student/naam", "/student/naam/achternaam"}));
  auto r = gate({"case"}, RoutePolicy::redact, required);
  EXPECT_EQ(r.outcome, GateOutcome::blocked);
  EXPECT_TRUE(r.document.is_null());
  EXPECT_EQ(r.reasons[r.reasons.size() - 2],
            "the destination requires /agreements/*/what, which is denied, so the document is blocked");
  EXPECT_EQ(r.reasons.back(), "the destination requires /request, which is denied, so the document is blocked");
  r = gate({"identity"}, RoutePolicy::redact, required);
  EXPECT_EQ(r.outcome, GateOutcome::blocked);
  EXPECT_EQ(r.reasons.back(), "the destination requires /student/naam, which is denied, so the document is blocked");
  // Not required: redact.
  EXPECT_EQ(gate({"health", "views"}, RoutePolicy::redact, required).outcome, GateOutcome::redacted);
}

TEST_F(RedactionTest, ACategoryTheDecisionDoesNotMentionIsDenied) {
  Decision d = permit_all_but({});
  d.categories.erase(std::remove_if(d.categories.begin(), d.categories.end(),
                                    [](const auto& c) { return c.category == "views"; }),
                     d.categories.end());
  auto r = apply_gate(k_document, paths(), d, RoutePolicy::redact);
  EXPECT_EQ(r.outcome, GateOutcome::redacted);
  EXPECT_EQ(r.reasons, std::vector<std::string>{"views: not decided, so denied"});
  EXPECT_EQ(r.document["views"], json::array());
}

TEST_F(RedactionTest, RequiredPointersFollowRefsAllOfAndOtherSchemas) {
  ASSERT_TRUE(set_->add("common", json::parse(R"({"definitions": {"slot": {"type": "object",
      "required": ["start"], "properties": {"start": {"type": "string"}}}}})")));
  const json schema = json::parse(R"({
    "allOf": [{"required": ["kind"]}],
    "properties": {
      "slots": {"type": "array", "items": {"$ref": "common.schema.json#/definitions/slot"}},
      "loop": {"$ref": "#"},
      "opt": {"anyOf": [{"required": ["x"]}, {"required": ["y"]}]}
    }})");
  auto req = required_pointers(schema, set_.get());
  EXPECT_NE(std::find(req.begin(), req.end(), "/kind"), req.end());
  EXPECT_NE(std::find(req.begin(), req.end(), "/slots/*/start"), req.end());
  EXPECT_NE(std::find(req.begin(), req.end(), "/loop/kind"), req.end());  // bounded recursion
  EXPECT_EQ(std::find(req.begin(), req.end(), "/opt/x"), req.end());
  EXPECT_TRUE(required_pointers(json::array()).empty());
}
