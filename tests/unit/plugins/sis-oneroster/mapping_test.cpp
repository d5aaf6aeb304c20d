#include "mapping.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace schakel::sis_oneroster {
namespace {

oneroster::User user(std::string given, std::string middle, std::string family) {
  oneroster::User u;
  u.sourced_id = "u1";
  u.given_name = std::move(given);
  u.middle_name = std::move(middle);
  u.family_name = std::move(family);
  return u;
}

// A mapped record read back. Records are written in canonical form (members in order, no
// spaces): the host then reads each member without searching for its place.
nlohmann::json read(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(text, j.dump());
  return j;
}

TEST(NameParts, VoorvoegselInsideFamilyNameIsSplitLongestFirst) {
  auto c = default_mapping_config();
  auto n = name_parts(user("Zoë", "", "van der Berg"), c);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(n->voorvoegsel, "van der");
  EXPECT_EQ(n->achternaam, "Berg");
  EXPECT_EQ(n->voornamen, "Zoë");
  n = name_parts(user("Gijs", "", "in 't Veld"), c);
  EXPECT_EQ(n->voorvoegsel, "in 't");
  EXPECT_EQ(n->achternaam, "Veld");
}

TEST(NameParts, CapitalisedPrefixAndWholeWordsStayInTheAchternaam) {
  auto c = default_mapping_config();
  EXPECT_EQ(name_parts(user("Saïd", "", "El Amrani"), c)->achternaam, "El Amrani");
  EXPECT_EQ(name_parts(user("Jan", "", "De Smet"), c)->achternaam, "De Smet");
  EXPECT_EQ(name_parts(user("Ümit", "", "Çelik"), c)->achternaam, "Çelik");
  EXPECT_EQ(name_parts(user("A", "", "Vandenberg"), c)->achternaam, "Vandenberg");
  EXPECT_EQ(name_parts(user("A", "", "van"), c)->achternaam, "van");  // nothing left after it
}

TEST(NameParts, MiddleNameIsTheVoorvoegselOrMoreGivenNamesAsConfigured) {
  auto c = default_mapping_config();
  auto n = name_parts(user("Daan", "de", "Vries"), c);
  EXPECT_EQ(n->voorvoegsel, "de");
  EXPECT_EQ(n->achternaam, "Vries");
  c.middle_name_is = "given_names";
  n = name_parts(user("Daan", "Pieter", "de Vries"), c);
  EXPECT_EQ(n->voornamen, "Daan Pieter");
  EXPECT_EQ(n->voorvoegsel, "de");
  c.split_family_name = false;
  EXPECT_EQ(name_parts(user("Daan", "", "de Vries"), c)->achternaam, "de Vries");
}

TEST(NameParts, MissingFamilyNameIsAnError) {
  auto n = name_parts(user("Anna", "", " "), default_mapping_config());
  ASSERT_FALSE(n.is_ok());
  EXPECT_EQ(n.status().message(), "familyName is empty");
}

TEST(Gezag, OnlyAnExplicitValueFromTheLasSetsIt) {
  auto c = default_mapping_config();
  auto u = user("A", "", "B");
  u.metadata["metadata.nl.gezag"] = "ja";
  EXPECT_EQ(gezag_of(u, c), "unknown");  // no gezag_column configured: never assume
  c.gezag_column = "metadata.nl.gezag";
  EXPECT_EQ(gezag_of(u, c), "yes");
  u.metadata["metadata.nl.gezag"] = "Nee";
  EXPECT_EQ(gezag_of(u, c), "no");
  u.metadata["metadata.nl.gezag"] = "";
  EXPECT_EQ(gezag_of(u, c), "unknown");
  u.metadata["metadata.nl.gezag"] = "misschien";
  EXPECT_EQ(gezag_of(u, c), "unknown");
}

TEST(Guardian, RelationFromTheAgentRoleAndOneChildEntryPerStudent) {
  auto c = default_mapping_config();
  auto u = user("Fatima", "", "El Amrani");
  u.roles = {"relative"};
  u.email = "f.elamrani@example.nl";
  u.sms = "06-12345678";
  auto mapped = map_guardian(u, {"s1", "s2"}, c);
  ASSERT_TRUE(mapped.is_ok()) << mapped.status().message();
  const auto g = read(*mapped);
  ASSERT_EQ(g["children"].size(), 2u);
  EXPECT_EQ(g["children"][1], (nlohmann::json{{"student_id", "student-s2"}, {"relation", "other"}, {"gezag", "unknown"}}));
  EXPECT_EQ(g["contact"], (nlohmann::json{{"email", "f.elamrani@example.nl"}, {"phone", "06-12345678"}}));
  EXPECT_FALSE(map_guardian(u, {}, c).is_ok());
}

TEST(Student, IdentifiersOnlyWhenAllowedAndInTheirOwnFields) {
  auto c = default_mapping_config();
  auto u = user("Zoë", "", "de Boer");
  u.user_ids = {{"ECKiD", "https://ketenid.nl/201703/abc"}, {"BSN", "123456782"}};
  oneroster::Demographics d;
  d.birth_date = "2016-04-01";
  d.sex = "other";
  // A class title longer than the schema allows is cut before a character, never inside one.
  StudentExtra extra{&d, "Groep 5/6A juf Çelik, meester Ümit", "org1", 5};
  auto mapped = map_student(u, extra, c);
  ASSERT_TRUE(mapped.is_ok()) << mapped.status().message();
  auto s = read(*mapped);
  EXPECT_FALSE(s.contains("eckid"));
  EXPECT_FALSE(s.contains("bsn"));
  EXPECT_EQ(s["gender"], "x");
  EXPECT_EQ(s["jaargroep"], 5);
  EXPECT_EQ(s["groep"], "Groep 5/6A juf Çelik, meester ");  // 31 bytes: the Ü would not fit
  c.allow_eckid = true;
  s = read(*map_student(u, extra, c));
  EXPECT_EQ(s["eckid"], "https://ketenid.nl/201703/abc");
  EXPECT_FALSE(s.contains("bsn"));
  c.allow_bsn = true;
  EXPECT_EQ(read(*map_student(u, extra, c))["bsn"], "123456782");
}

TEST(Student, TobedeletedIsLeftNotGone) {
  auto u = user("A", "", "B");
  u.to_be_deleted = true;
  oneroster::Demographics d;
  d.birth_date = "2016-04-01";
  auto s = map_student(u, StudentExtra{&d, "", "org1", std::nullopt}, default_mapping_config());
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(read(*s)["status"], "left");
}

TEST(Staff, RoleColumnWinsThenTheConfiguredMapElseRefused) {
  auto c = default_mapping_config();
  auto u = user("A", "", "B");
  EXPECT_EQ(*staff_role(u, "teacher", c), "teacher");
  EXPECT_EQ(*staff_role(u, "principal", c), "director");
  EXPECT_EQ(staff_role(u, "proctor", c).status().message(), "role 'proctor' has no Schakel role in staff_roles");
  u.metadata["metadata.schakel.role"] = "orthopedagogue";
  EXPECT_EQ(*staff_role(u, "administrator", c), "orthopedagogue");
  u.metadata["metadata.schakel.role"] = "parent";
  EXPECT_FALSE(staff_role(u, "administrator", c).is_ok());
}

TEST(Staff, TheSchakelRoleTheSchoolAndAValidContact) {
  auto c = default_mapping_config();
  auto u = user("Mirjam", "van", "Dijk");
  u.email = "not an address";
  u.phone = "+31 20 555 0101";
  auto mapped = map_staff(u, "ib", "org1", c);
  ASSERT_TRUE(mapped.is_ok()) << mapped.status().message();
  const auto s = read(*mapped);
  EXPECT_EQ(s["id"], "staff-u1");
  EXPECT_EQ(s["school_id"], "school-org1");
  EXPECT_EQ(s["role"], "ib");
  EXPECT_EQ(s["status"], "active");
  EXPECT_EQ(s["naam"], (nlohmann::json{{"voornamen", "Mirjam"}, {"voorvoegsel", "van"}, {"achternaam", "Dijk"}}));
  EXPECT_EQ(s["contact"], (nlohmann::json{{"phone", "+31 20 555 0101"}}));  // the malformed address left out
  EXPECT_FALSE(map_staff(u, "ib", "", c).is_ok());
}

TEST(School, BrinAndVestigingFromTheIdentifier) {
  auto c = default_mapping_config();
  c.swv_code = "PO2701";
  oneroster::Org o;
  o.sourced_id = "org1";
  o.name = "De Regenboog";
  o.identifier = "12AB01";
  auto s = map_school(o, c);
  ASSERT_TRUE(s.is_ok());
  const auto school = read(*s);
  EXPECT_EQ(school["brin"], "12AB");
  EXPECT_EQ(school["vestiging"], "01");
  EXPECT_EQ(school["naam"], "De Regenboog");
  EXPECT_EQ(school["swv_code"], "PO2701");
  o.identifier = "12AB";
  EXPECT_EQ(read(*map_school(o, c))["vestiging"], "00");
  o.identifier = "school-1";
  EXPECT_FALSE(map_school(o, c).is_ok());
}

TEST(HubId, RefusesSourcedIdsOutsideTheIdPattern) {
  EXPECT_EQ(*hub_id("student", "a.b:c-1"), "student-a.b:c-1");
  EXPECT_FALSE(hub_id("student", "a b").is_ok());
  EXPECT_FALSE(hub_id("student", "").is_ok());
}

TEST(Model, UserIdsAndDates) {
  auto ids = oneroster::parse_user_ids("{ECKiD:https://x/y},{BSN:123}");
  ASSERT_TRUE(ids.is_ok());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0].type, "ECKiD");
  EXPECT_EQ((*ids)[0].value, "https://x/y");
  EXPECT_FALSE(oneroster::parse_user_ids("{BSN:123").is_ok());
  EXPECT_TRUE(oneroster::valid_date("2016-02-29"));
  EXPECT_FALSE(oneroster::valid_date("2015-02-29"));
  EXPECT_FALSE(oneroster::valid_date("2015-2-1"));
  EXPECT_EQ(*oneroster::normalise_instant("2026-09-01T08:00:00+02:00"), "2026-09-01T06:00:00.000000Z");
  EXPECT_FALSE(oneroster::normalise_instant("yesterday").has_value());
}

}  // namespace
}  // namespace schakel::sis_oneroster
