// The REST binding's JSON objects read as the CSV bundle's rows, Link headers, zip entry names.
#include <gtest/gtest.h>

#include "oneroster/rest.hpp"
#include "oneroster/zip_bundle.hpp"

namespace schakel::oneroster {
namespace {

using nlohmann::json;

TEST(RestRows, A12UserReadsLikeItsCsvRow) {
  json u = {{"sourcedId", "stu-1"}, {"status", "active"}, {"dateLastModified", "2026-10-01T06:00:00.000Z"},
            {"givenName", "Zoë"}, {"familyName", "Berg"}, {"middleName", "van der"},
            {"userIds", {{{"type", "ECKiD"}, {"identifier", "x1"}}, {{"type", "BSN"}, {"identifier", "123"}}}},
            {"agents", {{{"sourcedId", "grd-1"}, {"type", "user"}}, {{"sourcedId", "grd-2"}, {"type", "user"}}}},
            {"roles", {{{"roleType", "secondary"}, {"role", "teacher"}, {"org", {{"sourcedId", "org-2"}}}},
                       {{"roleType", "primary"}, {"role", "student"}, {"org", {{"sourcedId", "org-1"}}}}}},
            {"grades", {"04"}}, {"metadata", {{"nl", {{"gezag", "ja"}}}}}};
  auto t = rest_row("users", Version::v1_2, u, "rest:/users", 3);
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  auto parsed = parse_user(**t, Version::v1_2);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  EXPECT_EQ(parsed->where, "rest:/users:3");
  EXPECT_EQ(parsed->roles, std::vector<std::string>{"student"});  // the primary role
  EXPECT_EQ(parsed->org_sourced_ids, (std::vector<std::string>{"org-1", "org-2"}));
  EXPECT_EQ(parsed->agent_sourced_ids, (std::vector<std::string>{"grd-1", "grd-2"}));
  ASSERT_EQ(parsed->user_ids.size(), 2u);
  EXPECT_EQ(parsed->user_ids[0].type, "ECKiD");
  EXPECT_EQ(parsed->metadata.at("metadata.nl.gezag"), "ja");
  EXPECT_EQ(parsed->date_last_modified, "2026-10-01T06:00:00.000000Z");
}

TEST(RestRows, AnObjectOfTheWrongShapeNamesTheField) {
  json u = {{"sourcedId", "stu-1"}, {"agents", "grd-1"}};
  auto t = rest_row("users", Version::v1_1, u, "rest:/users", 9);
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().message(), "rest:/users:9: agents: is not an array");
  auto e = rest_row("enrollments", Version::v1_1, json{{"sourcedId", "e"}, {"user", "x"}}, "rest:/enrollments", 1);
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().message(), "rest:/enrollments:1: user: is not a GUIDRef object");
  EXPECT_FALSE(rest_row("users", Version::v1_1, json::array(), "rest:/users", 2).is_ok());
}

TEST(RestRows, LinkHeaderRelations) {
  auto links = parse_link_header(R"(<https://h/x?offset=0>; rel="first", <https://h/x?offset=7>; rel="next",)"
                                 R"( <https://h/x?offset=21>; rel=last)");
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[1], (std::pair<std::string, std::string>{"next", "https://h/x?offset=7"}));
  EXPECT_EQ(links[2].first, "last");
  EXPECT_TRUE(parse_link_header("").empty());
  EXPECT_EQ(url_encode("dateLastModified>'2026-01-01T00:00:00Z'"),
            "dateLastModified%3E%272026-01-01T00%3A00%3A00Z%27");
}

TEST(ZipEntries, ZipSlipNamesAreRefused) {
  EXPECT_EQ(unsafe_entry_reason("users.csv"), "");
  EXPECT_EQ(unsafe_entry_reason("export/users.csv"), "");
  EXPECT_NE(unsafe_entry_reason("../users.csv"), "");
  EXPECT_NE(unsafe_entry_reason("export/../../x"), "");
  EXPECT_NE(unsafe_entry_reason("/etc/passwd"), "");
  EXPECT_NE(unsafe_entry_reason("..\\x.csv"), "");
  EXPECT_NE(unsafe_entry_reason("C:x.csv"), "");
  EXPECT_EQ(unsafe_entry_reason("..hidden.csv"), "");
}

}  // namespace
}  // namespace schakel::oneroster
