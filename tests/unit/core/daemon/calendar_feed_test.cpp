// Per-recipient calendar feeds through the daemon's API, in process (no sockets): a real
// Runtime on a temp SQLite store, the real consent index, the real audit log.
#include <regex>

#include <gtest/gtest.h>

#include "audit/entry.hpp"
#include "authorization_matrix.hpp"
#include "daemon/pipeline.hpp"
#include "daemon_env.hpp"
#include "routing/router.hpp"

using namespace schakel;
using nlohmann::json;

namespace {

json meeting_doc() {
  return {{"id", "m1"},
          {"school_id", "sch1"},
          {"kind", "ot"},
          {"start", "2026-12-01T13:00:00+01:00"},
          {"end", "2026-12-01T15:00:00+01:00"},
          {"location", "Kamer 4"},
          {"owner", {{"kind", "schakel"}}},
          {"ical_uid", "m1@schakel.invalid"},
          {"sequence", 1},
          {"status", "planned"},
          {"updated_at", "2026-11-20T09:00:00Z"},
          {"standing_members",
           {{{"role", "youth_nurse"}, {"name", "A. Bos"}, {"organisation", "GGD"}},
            {{"role", "school_social_worker"}, {"name", "B. de Vries"}}}},
          {"agenda",
           {{{"start", "2026-12-01T13:30:00+01:00"}, {"end", "2026-12-01T14:00:00+01:00"}, {"case_id", "k1"},
             {"student_id", "s1"}},
            {{"start", "2026-12-01T14:00:00+01:00"}, {"end", "2026-12-01T14:30:00+01:00"}, {"case_id", "k2"},
             {"student_id", "s2"}}}}};
}

// RFC 5545 folds long lines; the tests read the unfolded text.
std::string unfold(std::string ics) { return std::regex_replace(ics, std::regex("\r\n[ \t]"), ""); }

class CalendarFeedTest : public ::testing::Test {
 protected:
  static test::DaemonEnv::Options options() {
    test::DaemonEnv::Options o;
    o.name = "feeds";
    o.seed = false;  // the meeting's school, students and guardians below
    return o;
  }

  void SetUp() override {
    put(store::Kind::school, "sch1", {{"id", "sch1"}, {"brin", "27XK"}, {"vestiging", "01"}, {"naam", "CBS Het Kompas"},
                                      {"swv_code", "PO2401"}});
    const json s1 = {{"id", "s1"}, {"school_id", "sch1"}, {"naam", {{"roepnaam", "Sanne"}, {"achternaam", "Bakker"}}},
                     {"birth_date", "2016-04-02"}, {"eckid", "https://id.school/pv/abc"}, {"status", "active"}};
    const json s2 = {{"id", "s2"}, {"school_id", "sch1"}, {"naam", {{"voornamen", "Daan Pieter"}, {"achternaam", "Smit"}}},
                     {"birth_date", "2015-09-12"}, {"status", "active"}};
    const json g1 = {{"id", "g1"}, {"naam", {{"achternaam", "Bakker"}}},
                     {"children", {{{"student_id", "s1"}, {"relation", "parent"}, {"gezag", "yes"}}}}};
    const json g2 = {{"id", "g2"}, {"naam", {{"achternaam", "Smit"}}},
                     {"children", {{{"student_id", "s2"}, {"relation", "parent"}, {"gezag", "yes"}}}}};
    put(store::Kind::student, "s1", s1);
    put(store::Kind::student, "s2", s2);
    put(store::Kind::guardian, "g1", g1);
    put(store::Kind::guardian, "g2", g2);
    put(store::Kind::meeting, "m1", meeting_doc());
    const json consent = {{"id", "c1"}, {"student_id", "s1"}, {"school_id", "sch1"},
                          {"grantors", {{{"kind", "guardian"}, {"guardian_id", "g1"}}}},
                          {"recipients", {{{"organisation", "GGD"}, {"role", "youth_nurse"}}}},
                          {"purposes", {"calendar"}}, {"categories", {"identity", "case"}},
                          {"valid_from", "2026-01-01"}, {"status", "active"}, {"legal_basis", "consent"},
                          {"evidence", {{"form_version", "1"}, {"recorded_by", "ib"}, {"recorded_at", "2026-11-01T10:00:00Z"}}}};
    rt_->consent().change([&](consent::ConsentIndex& index) {
      ASSERT_TRUE(index.admit("s1"));  // from the store, with g1's gezag, for her consent
      auto c = index.record(consent, rt_->clock().now());
      ASSERT_TRUE(c) << c.status().message();
    });
    staff_ = token(api::Role::staff, "27XK");
  }

  void put(store::Kind kind, const std::string& id, const json& doc) { env_.put(kind, id, "27XK01", doc); }
  std::string token(api::Role role, const std::string& brin) { return env_.token(role, brin); }
  api::ApiResponse call(const std::string& method, const std::string& target, const std::string& bearer = "",
                        const json& body = nullptr, std::map<std::string, std::string> headers = {}) {
    return env_.call(method, target, bearer, body, std::move(headers));
  }
  std::vector<store::AuditRow> audit_rows(const std::string& action) { return env_.audit_rows(action); }

  // The feed's URL, from POST /v1/calendar-feeds.
  std::string make_feed(const json& recipient) {
    auto r = call("POST", "/v1/calendar-feeds", staff_, {{"school_id", "sch1"}, {"recipient", recipient}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).value("url", "");
  }

  test::DaemonEnv env_{options()};
  daemon::Runtime* rt_ = &env_.rt();
  std::string staff_;
};

const json k_nurse = {{"organisation", "GGD"}, {"role", "youth_nurse"}, {"name", "A. Bos"}};

}  // namespace

TEST_F(CalendarFeedTest, ANurseSeesOnlyTheChildHerConsentCovers) {
  const std::string url = make_feed(k_nurse);
  ASSERT_EQ(url.rfind("/v1/calendar/skl_", 0), 0u) << url;
  auto r = call("GET", url);  // no bearer token: the URL is the capability
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/calendar; charset=utf-8");
  const std::string ics = unfold(r.body);
  EXPECT_NE(ics.find("UID:m1@schakel.invalid"), std::string::npos) << ics;
  EXPECT_NE(ics.find("casus 1: Sanne"), std::string::npos) << ics;
  EXPECT_NE(ics.find("casus 2"), std::string::npos) << ics;
  for (const char* never : {"Daan", "Smit", "Bakker", "id.school", "2016-04-02"}) {
    EXPECT_EQ(ics.find(never), std::string::npos) << never << " leaked into " << ics;
  }
  // Each fetch with content is a disclosure, with the recipient, purpose and consent named.
  auto disclosed = audit_rows("disclose");
  ASSERT_EQ(disclosed.size(), 1u);
  EXPECT_EQ(disclosed[0].purpose, "calendar");
  EXPECT_EQ(disclosed[0].consent_ids, (std::vector<std::string>{"c1"}));
  EXPECT_EQ(audit::decode_recipient(disclosed[0].recipient).name, "A. Bos");

  // Polling with the ETag costs nothing and discloses nothing new.
  std::string etag;
  for (const auto& [k, v] : r.headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_FALSE(etag.empty());
  auto again = call("GET", url, "", nullptr, {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(audit_rows("disclose").size(), 1u);
}

TEST_F(CalendarFeedTest, ParentsGetTheirOwnChildsSlotOnly) {
  auto r = call("GET", make_feed({{"role", "parent"}, {"name", "Mw. Smit"}, {"person_id", "g2"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string ics = unfold(r.body);
  EXPECT_NE(ics.find("casus 2: Daan"), std::string::npos) << ics;
  EXPECT_EQ(ics.find("Sanne"), std::string::npos) << ics;
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/Amsterdam:20261201T140000"), std::string::npos) << ics;
}

TEST_F(CalendarFeedTest, AMemberWithoutConsentSeesNoNameAndTheFetchIsStillLogged) {
  auto r = call("GET", make_feed({{"role", "school_social_worker"}, {"name", "B. de Vries"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string ics = unfold(r.body);
  EXPECT_EQ(ics.find("Sanne"), std::string::npos) << ics;
  EXPECT_NE(ics.find("casus 1"), std::string::npos) << ics;
  EXPECT_TRUE(audit_rows("disclose").empty());
  EXPECT_EQ(audit_rows("export").size(), 1u);
}

TEST_F(CalendarFeedTest, ARevokedOrUnknownFeedIsGoneAndOtherSchoolsCannotTouchIt) {
  auto created = call("POST", "/v1/calendar-feeds", staff_, {{"school_id", "sch1"}, {"recipient", k_nurse}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto feed = json::parse(created.body);
  const std::string other = token(api::Role::staff, "12AB");
  EXPECT_EQ(call("POST", "/v1/calendar-feeds", other, {{"school_id", "sch1"}, {"recipient", k_nurse}}).status, 403);
  EXPECT_EQ(call("DELETE", "/v1/calendar-feeds/" + feed["id"].get<std::string>(), other).status, 403);
  EXPECT_EQ(call("POST", "/v1/calendar-feeds", token(api::Role::admin, "27XK"),
                 {{"school_id", "sch1"}, {"recipient", k_nurse}}).status, 403);
  EXPECT_EQ(call("POST", "/v1/calendar-feeds", "", {{"school_id", "sch1"}, {"recipient", k_nurse}}).status, 401);

  EXPECT_EQ(call("GET", feed["url"].get<std::string>()).status, 200);
  EXPECT_EQ(call("DELETE", "/v1/calendar-feeds/" + feed["id"].get<std::string>(), staff_).status, 200);
  EXPECT_EQ(call("GET", feed["url"].get<std::string>()).status, 404);
  EXPECT_EQ(call("GET", "/v1/calendar/skl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics").status, 404);
  EXPECT_EQ(call("GET", "/v1/calendar/m1.ics").status, 404);
}

TEST_F(CalendarFeedTest, ABadRequestNamesEachProblem) {
  auto r = call("POST", "/v1/calendar-feeds", staff_,
                {{"school_id", "sch1"}, {"extra", 1}, {"recipient", {{"role", "parent"}, {"name", "X"}, {"bsn", "1"}}}});
  ASSERT_EQ(r.status, 422) << r.body;
  const std::string body = r.body;
  for (const char* pointer : {"/extra", "/recipient/bsn", "/recipient/person_id"}) {
    EXPECT_NE(body.find(pointer), std::string::npos) << pointer << " missing in " << body;
  }
  EXPECT_EQ(call("POST", "/v1/calendar-feeds", staff_,
                 {{"school_id", "nope"}, {"recipient", k_nurse}}).status, 422);
}

// A meeting from a school's calendar feed (stream "meetings") is stored with its school's tenant,
// belongs to that feed alone, and fires the event that makes its copies follow.
TEST_F(CalendarFeedTest, AnImportedMeetingBelongsToItsFeedAndItsChangesFireEvents) {
  daemon::RecordImporter importer(rt_->store(), rt_->audit(), rt_->consent(), rt_->clock());
  std::vector<std::string> fired;
  importer.set_fire([&](const std::string& trigger, const std::string& id, const std::string& actor) {
    fired.push_back(trigger + " " + id + " by " + actor);
    return Status{};
  });
  json m = meeting_doc();
  m["id"] = "ics.m2";
  m["ical_uid"] = "m2@school.example";
  m["owner"] = {{"kind", "connector"}, {"connector_id", "school-feed"}};
  ASSERT_TRUE(importer.import("school-feed", "meetings", m));
  EXPECT_TRUE(importer.import("school-feed", "meetings", m));  // the same again changes nothing

  m["start"] = "2026-12-08T13:00:00+01:00";
  m["end"] = "2026-12-08T15:00:00+01:00";
  m["sequence"] = 2;
  ASSERT_TRUE(importer.import("school-feed", "meetings", m));
  EXPECT_EQ(fired, (std::vector<std::string>{"meeting.planned ics.m2 by school-feed",
                                             "meeting.changed ics.m2 by school-feed"}));

  // The moved meeting is what the nurse's feed shows.
  const std::string ics = unfold(call("GET", make_feed(k_nurse)).body);
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/Amsterdam:20261208T130000"), std::string::npos) << ics;
  EXPECT_NE(ics.find("UID:m2@school.example"), std::string::npos) << ics;

  // Only the owner changes it: not another feed, and no record claiming Schakel's meetings.
  json stolen = m;
  stolen["owner"]["connector_id"] = "other-feed";
  const Status other = importer.import("other-feed", "meetings", stolen);
  EXPECT_EQ(other.code(), ErrorCode::conflict) << other.message();
  EXPECT_NE(other.message().find("owned by school-feed"), std::string::npos) << other.message();
  json planned_here = meeting_doc();  // m1 is owned by Schakel
  planned_here["owner"] = {{"kind", "connector"}, {"connector_id", "school-feed"}};
  EXPECT_EQ(importer.import("school-feed", "meetings", planned_here).code(), ErrorCode::conflict);
  EXPECT_EQ(importer.import("school-feed", "meetings", meeting_doc()).code(), ErrorCode::invalid);
  EXPECT_EQ(fired.size(), 2u);
}

// A calendar route's copy goes through the consent gate with purpose calendar: per recipient, a
// child is named only where consent allows, and the copy is the event the CalDAV sink accepts.
TEST_F(CalendarFeedTest, TheGateMakesEachCalendarCopyForItsRecipient) {
  daemon::ConsentGate gate(rt_->consent(), rt_->schemas(), rt_->plugins());
  routing::StoreProjector projector;
  auto copy_for = [&](const outbox::Recipient& recipient, const std::string& purpose = "calendar") {
    outbox::RouteSpec route;
    route.id = "agenda-" + recipient.role;
    route.trigger = "meeting.planned";
    route.projection = "meeting";
    route.connector = "caldav-" + recipient.role;
    route.recipient = recipient;
    route.purpose = purpose;
    auto tx = rt_->store().begin(false);
    routing::Event event;
    event.type = "meeting.planned";
    event.entity_id = "m1";
    auto p = projector.project(route, event, **tx);
    if (!p) throw std::runtime_error(p.status().message());
    auto result = gate.decide(route, p->tenant, p->student_id, p->schema_name, p->document, rt_->clock().now());
    if (!result) throw std::runtime_error(result.status().message());
    return std::make_pair(*p, *result);
  };

  auto [projection, nurse] = copy_for({"GGD", "youth_nurse", "A. Bos"});
  ASSERT_EQ(nurse.outcome, outbox::GateOutcome::permitted);
  ASSERT_EQ(nurse.document.size(), 1u) << nurse.document.dump();
  const json& event = nurse.document.at("event");
  EXPECT_EQ(event["uid"], "m1@schakel.invalid");
  EXPECT_EQ(event["dtstamp"], "2026-11-20T09:00:00Z");
  EXPECT_EQ(event["description"], "13:30-14:00 casus 1: Sanne\n14:00-14:30 casus 2\n");
  EXPECT_EQ(nurse.consent_ids, (std::vector<std::string>{"c1"}));
  EXPECT_EQ(nurse.document.dump().find("Bakker"), std::string::npos);
  EXPECT_TRUE(projection.document.contains("students"));  // for the gate only

  auto social = copy_for({"Wijkteam Noord", "school_social_worker", "B. de Vries"}).second;
  ASSERT_EQ(social.outcome, outbox::GateOutcome::permitted);
  EXPECT_EQ(social.document["event"]["description"], "13:30-14:00 casus 1\n14:00-14:30 casus 2\n");
  EXPECT_EQ(social.categories, (std::vector<std::string>{"meeting"}));

  // A parent's copy needs the guardian named (routes name no person): nothing is sent.
  EXPECT_EQ(copy_for({"", "parent", "ouder"}).second.outcome, outbox::GateOutcome::blocked);
  // Other purposes never see the agenda's students.
  EXPECT_FALSE(copy_for({"GGD", "youth_nurse", "A. Bos"}, "ot_meeting").first.document.contains("students"));
}

// A recipient declines in their own calendar: the CalDAV connector reads it back and the meeting
// shows it; an older answer never replaces a newer one, and a new version of an imported meeting
// keeps the answers.
TEST_F(CalendarFeedTest, ARecipientsReplyShowsOnTheMeeting) {
  daemon::RecordImporter importer(rt_->store(), rt_->audit(), rt_->consent(), rt_->clock());
  auto reply = [&](const std::string& partstat, const std::string& at) {
    return importer.import("caldav-nurse", "calendar_reply",
                           {{"uid", "m1@schakel.invalid"}, {"attendee", "mailto:a.bos@ggd.example"},
                            {"partstat", partstat}, {"observed_at", at}});
  };
  auto replies = [&] {
    auto tx = rt_->store().begin(false);
    auto m = (*tx)->get(store::Kind::meeting, "m1");
    return (*m)->doc.value("replies", json::array());
  };
  ASSERT_TRUE(reply("declined", "2026-11-24T08:00:00Z"));
  ASSERT_EQ(replies().size(), 1u);
  EXPECT_EQ(replies()[0]["partstat"], "declined");
  EXPECT_EQ(replies()[0]["connector"], "caldav-nurse");
  ASSERT_TRUE(reply("accepted", "2026-11-23T08:00:00Z"));  // older: ignored
  EXPECT_EQ(replies()[0]["partstat"], "declined");
  ASSERT_TRUE(reply("tentative", "2026-11-25T08:00:00Z"));
  EXPECT_EQ(replies()[0]["partstat"], "tentative");
  EXPECT_EQ(audit_rows("import").size(), 2u);
  EXPECT_TRUE(reply("tentative", "2026-11-26T08:00:00Z"));  // the same answer again: nothing new
  EXPECT_EQ(audit_rows("import").size(), 2u);
  const Status unknown = importer.import("caldav-nurse", "calendar_reply",
                                         {{"uid", "nope"}, {"attendee", "x"}, {"partstat", "accepted"},
                                          {"observed_at", "2026-11-26T08:00:00Z"}});
  EXPECT_EQ(unknown.code(), ErrorCode::not_found);

  // The meeting with its replies is still a valid meeting.
  auto tx = rt_->store().begin(false);
  auto m = (*tx)->get(store::Kind::meeting, "m1");
  EXPECT_TRUE(rt_->schemas().validate("meeting", (*m)->doc).empty()) << (*m)->doc.dump();

  // A new version from the meeting's feed keeps the answers.
  json imported = meeting_doc();
  imported["id"] = "ics.m3";
  imported["ical_uid"] = "m3@school.example";
  imported["owner"] = {{"kind", "connector"}, {"connector_id", "school-feed"}};
  ASSERT_TRUE(importer.import("school-feed", "meetings", imported));
  ASSERT_TRUE(importer.import("caldav-nurse", "calendar_reply",
                              {{"uid", "m3@school.example"}, {"attendee", "mailto:a.bos@ggd.example"},
                               {"partstat", "declined"}, {"observed_at", "2026-11-24T08:00:00Z"}}));
  imported["location"] = "Aula";
  ASSERT_TRUE(importer.import("school-feed", "meetings", imported));
  tx->reset();
  auto fresh = rt_->store().begin(false);
  auto m3 = (*fresh)->get(store::Kind::meeting, "ics.m3");
  EXPECT_EQ((*m3)->doc["location"], "Aula");
  EXPECT_EQ((*m3)->doc["replies"][0]["partstat"], "declined");
}

// The feeds in the authorisation matrix (tests/support/authorization_matrix.hpp): every role by
// own and other school, where "other" is the token's school and the feed is of ours. Only staff of
// the school make or revoke a feed; the feed itself needs no token (its URL is the capability).
TEST_F(CalendarFeedTest, AuthorisationMatrixOfTheFeeds) {
  auto make = [&](const std::string& bearer) {
    return call("POST", "/v1/calendar-feeds", bearer, {{"school_id", "sch1"}, {"recipient", k_nurse}});
  };
  const auto created = make(staff_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string url = json::parse(created.body)["url"].get<std::string>();
  const std::vector<test::MatrixRow> rows = {
      {"POST", "/v1/calendar-feeds", {api::Role::staff}, true, [&](const test::MatrixCell& c) { return make(c.token); }},
      // A feed of its own for each cell, so an allowed revocation leaves the others' feed alone.
      {"DELETE", "/v1/calendar-feeds/{id}", {api::Role::staff}, true,
       [&](const test::MatrixCell& c) {
         const auto feed = json::parse(make(staff_).body);
         return call("DELETE", "/v1/calendar-feeds/" + feed["id"].get<std::string>(), c.token);
       }},
      {"GET", "/v1/calendar/{feed}", {}, false, [&](const test::MatrixCell& c) { return call("GET", url, c.token); }},
  };
  test::check_matrix_covers_routes(rt_->api()->service().routes(), rows,
                                   [](const api::Route& r) { return r.pattern.rfind("/v1/calendar", 0) == 0; });
  test::check_authorization_matrix(rows, [&](api::Role role, test::Side side) {
    return token(role, side == test::Side::own ? "27XK" : "12AB");
  });
  EXPECT_EQ(call("GET", url).status, 200) << "no cell revoked the first feed";
}
