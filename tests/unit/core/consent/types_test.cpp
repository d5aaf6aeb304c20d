#include "consent/types.hpp"

#include <gtest/gtest.h>

#include "consent/student_facts.hpp"
#include "fixtures.hpp"

using namespace schakel;
using namespace schakel::consent;
using test::json;

namespace {

json valid_consent() {
  return test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1", "student"},
                            .categories = {"health", "education"}, .valid_until = "2026-12-31"});
}

std::string parse_error(const json& doc) {
  auto c = consent_from_json(doc);
  return c ? "" : c.status().message();
}

}  // namespace

TEST(ConsentTypes, RoundTripsTheDocument) {
  auto doc = valid_consent();
  auto c = consent_from_json(doc);
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->grantors.size(), 2u);
  EXPECT_EQ(c->grantors[0].guardian_id, "g1");
  EXPECT_EQ(c->grantors[1].kind, GrantorKind::student);
  EXPECT_EQ(format_date(*c->valid_until), "2026-12-31");
  EXPECT_FALSE(c->withdrawn);
  auto again = consent_from_json(to_json(*c));
  ASSERT_TRUE(again);
  EXPECT_EQ(to_json(*again), to_json(*c));
  EXPECT_EQ(to_json(*c)["status"], "active");
  EXPECT_EQ(to_json(*c)["evidence"]["recorded_at"], "2026-01-05T08:00:00.000000Z");
}

TEST(ConsentTypes, ErrorsNameTheField) {
  struct Case {
    const char* name;
    std::function<void(json&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"no id", [](json& j) { j.erase("id"); }, "/id: required"},
      {"student id not a string", [](json& j) { j["student_id"] = 7; }, "/student_id: must be a string"},
      {"no grantors", [](json& j) { j["grantors"] = json::array(); }, "/grantors: must be a non-empty array"},
      {"guardian without id", [](json& j) { j["grantors"][1] = {{"kind", "guardian"}}; },
       "/grantors/1/guardian_id: required"},
      {"bad grantor kind", [](json& j) { j["grantors"][0]["kind"] = "teacher"; },
       "/grantors/0/kind: must be \"guardian\" or \"student\", not 'teacher'"},
      {"recipient empty", [](json& j) { j["recipients"][0] = json::object(); },
       "/recipients/0: needs an organisation or a role"},
      {"recipient role unknown", [](json& j) { j["recipients"][0]["role"] = "plumber"; },
       "/recipients/0/role: unknown role 'plumber'"},
      {"unknown purpose", [](json& j) { j["purposes"] = {"ot_meeting", "marketing"}; },
       "/purposes/1: unknown purpose 'marketing'"},
      {"unknown category", [](json& j) { j["categories"] = {"shoe_size"}; },
       "/categories/0: unknown category 'shoe_size'"},
      {"bad date", [](json& j) { j["valid_from"] = "2026-02-30"; },
       "/valid_from: not a date (YYYY-MM-DD): '2026-02-30'"},
      {"bad until", [](json& j) { j["valid_until"] = "31-12-2026"; }, "/valid_until: not a date"},
      {"bad status", [](json& j) { j["status"] = "paused"; }, "/status: must be \"active\" or \"withdrawn\""},
      {"withdrawn without withdrawal", [](json& j) { j["status"] = "withdrawn"; }, "/withdrawal: required"},
      {"bad withdrawal time",
       [](json& j) {
         j["status"] = "withdrawn";
         j["withdrawal"] = {{"at", "yesterday"}, {"by", {{"kind", "student"}}}};
       },
       "/withdrawal/at: not an RFC 3339 date-time: 'yesterday'"},
      {"unknown legal basis", [](json& j) { j["legal_basis"] = "because"; }, "/legal_basis: unknown legal basis"},
      {"no evidence", [](json& j) { j.erase("evidence"); }, "/evidence: required"},
      {"evidence without form", [](json& j) { j["evidence"].erase("form_version"); },
       "/evidence/form_version: required"},
  };
  for (const auto& c : cases) {
    auto doc = valid_consent();
    c.edit(doc);
    EXPECT_NE(parse_error(doc).find(c.expected), std::string::npos)
        << c.name << ": got '" << parse_error(doc) << "', expected '" << c.expected << "'";
  }
  EXPECT_NE(parse_error(json::array()).find("must be a JSON object"), std::string::npos);
}

TEST(ConsentTypes, DatesAndAges) {
  EXPECT_FALSE(parse_date("2026-13-01"));
  EXPECT_FALSE(parse_date("2026-1-01"));
  EXPECT_FALSE(parse_date("abcd-01-01"));
  ASSERT_TRUE(parse_date("2024-02-29"));
  EXPECT_EQ(format_date(*parse_date("2024-02-29")), "2024-02-29");
  const Date birth = *parse_date("2014-03-10");
  EXPECT_EQ(age_on(birth, *parse_date("2026-03-09")), 11);
  EXPECT_EQ(age_on(birth, *parse_date("2026-03-10")), 12);
  // Born on 29 February: the birthday counts on 1 March in a common year.
  const Date leap = *parse_date("2012-02-29");
  EXPECT_EQ(age_on(leap, *parse_date("2028-02-28")), 15);
  EXPECT_EQ(age_on(leap, *parse_date("2027-02-28")), 14);
  EXPECT_EQ(age_on(leap, *parse_date("2027-03-01")), 15);
}

TEST(ConsentTypes, RecipientAndStudentAndGuardianDocuments) {
  auto r = recipient_from_json({{"organisation", "GGD"}, {"role", "youth_nurse"}, {"name", "A. Bos"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "A. Bos");
  EXPECT_NE(recipient_from_json({{"name", "A. Bos"}}).status().message().find("organisation or a role"),
            std::string::npos);
  EXPECT_NE(recipient_from_json({{"role", "x"}}).status().message().find("/role: unknown role 'x'"),
            std::string::npos);

  EXPECT_NE(student_from_json({{"id", "s1"}}).status().message().find("/birth_date: required"), std::string::npos);
  EXPECT_NE(student_from_json({{"id", "s1"}, {"birth_date", "1-1-2014"}}).status().message().find("/birth_date"),
            std::string::npos);
  auto g = guardian_from_json(test::guardian_doc("g1", {{"s1", "unknown", true}, {"s2", "no"}}));
  ASSERT_TRUE(g) << g.status().message();
  ASSERT_EQ(g->children.size(), 2u);
  EXPECT_EQ(g->children[0].second.gezag, Gezag::unknown);
  EXPECT_TRUE(g->children[0].second.confirmed);
  EXPECT_TRUE(gezag_counts(g->children[0].second));
  EXPECT_FALSE(gezag_counts(g->children[1].second));
  auto bad = test::guardian_doc("g1", {{"s1", "maybe"}});
  EXPECT_NE(guardian_from_json(bad).status().message().find("/children/0/gezag"), std::string::npos);
}
