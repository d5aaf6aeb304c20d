// Issue 9 end to end: an IB plans an OT meeting through the API of the real schakeld; the youth
// nurse's and the school social worker's CalDAV calendars (a real Radicale) and a parent's feed
// show exactly what consent allows; a move moves everywhere with SEQUENCE raised and the UID
// kept; the nurse's decline in her own calendar shows in Schakel; a cancellation becomes
// STATUS:CANCELLED; every copy sent is in the audit log. Every ICS is read by python3-icalendar.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calendar_e2e_hub.hpp"

using namespace schakel;
using namespace schakel::test;
using nlohmann::json;

namespace {

// One Radicale per test binary.
class RadicaleEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { server = std::make_unique<Radicale>(k_calendar_users); }
  void TearDown() override { server.reset(); }
  static inline std::unique_ptr<Radicale> server;
};
[[maybe_unused]] auto* const k_radicale_env = ::testing::AddGlobalTestEnvironment(new RadicaleEnvironment);

const std::string k_eckid_sanne = "https://ketenid.nl/201703/" + std::string(128, 'a');
const std::string k_eckid_daan = "https://ketenid.nl/201703/" + std::string(128, 'b');
const std::string k_health = "Vermoeden van ADHD, medicatie besproken met de huisarts";
// Whatever a calendar must never hold: names not covered, identifiers, birth dates, health.
const std::vector<std::string> k_never = {"Bakker", "Smit", "ketenid", "111222333", "123456782", "2017-03-14",
                                          "2016-09-12", "ADHD", "huisarts"};

std::string date_text(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

std::string days_ago(int n) {
  return date_text(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days{n});
}

json student(const std::string& id, const json& naam, const std::string& birth, const std::string& eckid,
             const std::string& bsn) {
  return {{"id", id}, {"school_id", k_cal_school_id}, {"las_key", "L-" + id}, {"naam", naam}, {"birth_date", birth},
          {"eckid", eckid}, {"bsn", bsn}, {"status", "active"}};
}

json guardian(const std::string& id, const std::string& achternaam, const std::string& child) {
  return {{"id", id}, {"las_key", "L-" + id}, {"naam", {{"voornamen", "Petra"}, {"achternaam", achternaam}}},
          {"contact", {{"email", id + "@ouders.example"}}},
          {"children", {{{"student_id", child}, {"relation", "parent"}, {"gezag", "yes"}}}}};
}

json case_of(const std::string& id, const std::string& student_id) {
  return {{"id", id}, {"school_id", k_cal_school_id}, {"student_id", student_id}, {"stage", "ot"},
          {"opened_on", days_ago(40)},
          {"signal", {{"noticed_on", days_ago(40)}, {"by_role", "teacher"}, {"description", k_health}}}};
}

json calendar_consent(const std::string& id, const std::string& student_id, const std::string& guardian_id,
                      const json& recipient, const std::vector<std::string>& categories) {
  return {{"id", id}, {"student_id", student_id}, {"school_id", k_cal_school_id},
          {"grantors", {{{"kind", "guardian"}, {"guardian_id", guardian_id}}}}, {"recipients", {recipient}},
          {"purposes", {"calendar"}}, {"categories", categories}, {"valid_from", days_ago(30)}, {"status", "active"},
          {"legal_basis", "consent"},
          {"evidence", {{"form_version", "toestemming-agenda-2026.1"}, {"recorded_by", "staff-ib-1"},
                        {"recorded_at", days_ago(30) + "T10:05:00Z"}}}};
}

// The OT meeting on `day` (a winter date, so +01:00): two case slots, Sanne's then Daan's.
json meeting(const std::string& day) {
  auto at = [&](const char* hm) { return day + "T" + hm + ":00+01:00"; };
  return {{"id", "ot-1"}, {"school_id", k_cal_school_id}, {"kind", "ot"}, {"start", at("13:00")}, {"end", at("15:00")},
          {"location", "Teamkamer"},
          {"standing_members",
           {{{"role", "ib"}, {"name", "M. de Groot"}},
            {{"role", "youth_nurse"}, {"name", "A. Bos"}, {"organisation", k_nurse_org}},
            {{"role", "school_social_worker"}, {"name", "B. de Vries"}, {"organisation", k_smw_org}}}},
          {"agenda",
           {{{"start", at("13:30")}, {"end", at("14:00")}, {"case_id", "case-sanne"}, {"student_id", "stu-sanne"},
             {"joining", {{"parents", {{{"role", "parent"}, {"name", "P. Bakker"}, {"guardian_id", "gua-bakker"}}}}}}},
            {{"start", at("14:00")}, {"end", at("14:30")}, {"case_id", "case-daan"}, {"student_id", "stu-daan"},
             {"joining", {{"parents", {{{"role", "parent"}, {"name", "P. Smit"}, {"guardian_id", "gua-smit"}}}}}}}}}};
}

// The one event of a calendar (or feed) as python3-icalendar reads it; null when there is not
// exactly one.
json only_event(const std::string& ics) {
  const json parsed = parse_ics_independently(ics);
  if (!parsed.is_object() || parsed["events"].size() != 1) return nullptr;
  return parsed["events"][0];
}

void expect_nothing_forbidden(const std::string& ics, const std::string& who) {
  const std::string text = unfold_ics(ics);
  for (const auto& never : k_never) EXPECT_EQ(text.find(never), std::string::npos) << never << " in " << who << ":\n" << text;
}

class CalendarE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<CalendarHub>(*RadicaleEnvironment::server);
    const std::string failed = hub_->start();
    ASSERT_TRUE(failed.empty()) << failed;
    post("/v1/students", student("stu-sanne", {{"voornamen", "Sanne Maria"}, {"roepnaam", "Sanne"}, {"achternaam", "Bakker"}},
                                 "2017-03-14", k_eckid_sanne, "111222333"));
    post("/v1/students", student("stu-daan", {{"voornamen", "Daan Pieter"}, {"achternaam", "Smit"}}, "2016-09-12",
                                 k_eckid_daan, "123456782"));
    post("/v1/guardians", guardian("gua-bakker", "Bakker", "stu-sanne"));
    post("/v1/guardians", guardian("gua-smit", "Smit", "stu-daan"));
    post("/v1/cases", case_of("case-sanne", "stu-sanne"));
    post("/v1/cases", case_of("case-daan", "stu-daan"));
    // The nurse may know whose case it is for Sanne; the social worker only that Daan's case is
    // discussed (case without identity), so no name for her.
    post("/v1/consents", calendar_consent("con-nurse-sanne", "stu-sanne", "gua-bakker",
                                          {{"organisation", k_nurse_org}, {"role", "youth_nurse"}}, {"identity", "case"}));
    post("/v1/consents", calendar_consent("con-smw-daan", "stu-daan", "gua-smit",
                                          {{"organisation", k_smw_org}, {"role", "school_social_worker"}}, {"case"}));
  }

  void post(const std::string& path, const json& doc) {
    const auto r = hub_->api("staff", "POST", path, doc);
    ASSERT_EQ(r.status, 201) << "POST " << path << ": " << r.body << r.error;
  }

  // Waits until the user's calendar holds one event for which `ok` holds; returns it (null on timeout).
  json wait_for_event(const std::string& user, const std::function<bool(const json&)>& ok) {
    json found;
    const bool done = hub_->wait_until([&] {
      found = only_event(hub_->calendar_text(user));
      return found.is_object() && ok(found);
    });
    return done ? found : json();
  }

  std::unique_ptr<CalendarHub> hub_;
};

}  // namespace

TEST_F(CalendarE2e, EveryCalendarShowsWhatConsentAllowsThroughMoveDeclineAndCancel) {
  // The IB plans the meeting.
  const auto planned = hub_->api("staff", "POST", "/v1/meetings", meeting("2030-01-16"));
  ASSERT_EQ(planned.status, 201) << planned.body;
  const std::string uid = planned.json().value("ical_uid", "");
  ASSERT_FALSE(uid.empty()) << planned.body;

  // The nurse's calendar: "OT-overleg", slots numbered, Sanne named (her consent), Daan not.
  json nurse = wait_for_event("nurse", [&](const json& e) { return e["uid"] == uid; });
  ASSERT_TRUE(nurse.is_object()) << hub_->calendar_text("nurse") << hub_->daemon().all_output();
  EXPECT_EQ(nurse["summary"], "OT-overleg");
  EXPECT_EQ(nurse["sequence"], 0);
  EXPECT_EQ(nurse["status"], "CONFIRMED");
  EXPECT_EQ(nurse["start"]["iso"], "2030-01-16T13:00:00+01:00");
  EXPECT_EQ(nurse["start"]["tzid"], "Europe/Amsterdam");
  EXPECT_EQ(nurse["end"]["iso"], "2030-01-16T15:00:00+01:00");
  EXPECT_EQ(nurse["location"], "Teamkamer");
  const std::string nurse_desc = nurse["description"];
  EXPECT_NE(nurse_desc.find("13:30-14:00 casus 1: Sanne"), std::string::npos) << nurse_desc;
  EXPECT_NE(nurse_desc.find("14:00-14:30 casus 2"), std::string::npos) << nurse_desc;
  EXPECT_EQ(nurse_desc.find("Daan"), std::string::npos) << nurse_desc;
  expect_nothing_forbidden(hub_->calendar_text("nurse"), "the nurse's calendar");
  // She is an attendee, so her answer can come back.
  ASSERT_EQ(nurse["attendees"].size(), 1u) << nurse.dump();
  EXPECT_EQ(nurse["attendees"][0]["address"], "mailto:" + k_nurse_email);
  EXPECT_EQ(nurse["attendees"][0]["partstat"], "NEEDS-ACTION");

  // The social worker's: the same meeting, no child named (her consent leaves identity out).
  json smw = wait_for_event("smw", [&](const json& e) { return e["uid"] == uid; });
  ASSERT_TRUE(smw.is_object()) << hub_->calendar_text("smw");
  EXPECT_EQ(smw["summary"], "OT-overleg");
  const std::string smw_desc = smw["description"];
  EXPECT_NE(smw_desc.find("casus 1\n"), std::string::npos) << smw_desc;
  EXPECT_NE(smw_desc.find("casus 2"), std::string::npos) << smw_desc;
  for (const char* name : {"Sanne", "Daan"}) EXPECT_EQ(smw_desc.find(name), std::string::npos) << smw_desc;
  EXPECT_EQ(smw_desc.find("casus 2:"), std::string::npos) << smw_desc;
  expect_nothing_forbidden(hub_->calendar_text("smw"), "the social worker's calendar");

  // Daan's parent's feed: their own child's slot only (own_child), at its own time.
  const auto feed = hub_->api("staff", "POST", "/v1/calendar-feeds",
                              {{"school_id", k_cal_school_id},
                               {"recipient", {{"role", "parent"}, {"name", "P. Smit"}, {"person_id", "gua-smit"}}}});
  ASSERT_EQ(feed.status, 201) << feed.body;
  const std::string feed_url = feed.json().value("url", "");
  auto fetched = hub_->get_public(feed_url);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  json parent = only_event(fetched.body);
  ASSERT_TRUE(parent.is_object()) << fetched.body;
  EXPECT_EQ(parent["uid"], uid);
  EXPECT_EQ(parent["start"]["iso"], "2030-01-16T14:00:00+01:00");
  EXPECT_EQ(parent["end"]["iso"], "2030-01-16T14:30:00+01:00");
  const std::string parent_desc = parent["description"];
  EXPECT_NE(parent_desc.find("casus 2: Daan"), std::string::npos) << parent_desc;
  EXPECT_EQ(parent_desc.find("Sanne"), std::string::npos) << parent_desc;
  EXPECT_EQ(parent_desc.find("casus 1"), std::string::npos) << parent_desc;
  for (const auto& never : {"ketenid", "123456782", "2016-09-12", "ADHD"})
    EXPECT_EQ(unfold_ics(fetched.body).find(never), std::string::npos) << never;

  // The IB moves the meeting a week: every calendar follows, SEQUENCE up, the same UID.
  json moved_doc = meeting("2030-01-23");
  const auto moved = hub_->api("staff", "PUT", "/v1/meetings/ot-1", moved_doc);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json().value("sequence", -1), 1) << moved.body;
  for (const char* user : {"nurse", "smw"}) {
    json e = wait_for_event(user, [](const json& ev) { return ev["start"]["iso"] == "2030-01-23T13:00:00+01:00"; });
    ASSERT_TRUE(e.is_object()) << user << ": " << hub_->calendar_text(user);
    EXPECT_EQ(e["uid"], uid);
    EXPECT_EQ(e["sequence"], 1) << user;
    EXPECT_EQ(e["end"]["iso"], "2030-01-23T15:00:00+01:00");
  }
  parent = only_event(hub_->get_public(feed_url).body);
  ASSERT_TRUE(parent.is_object());
  EXPECT_EQ(parent["uid"], uid);
  EXPECT_EQ(parent["sequence"], 1);
  EXPECT_EQ(parent["start"]["iso"], "2030-01-23T14:00:00+01:00");

  // The nurse declines in her own calendar, as her calendar client would: PUT with If-Match.
  auto listing = hub_->radicale().request("nurse", "PROPFIND", "/nurse/ot/", "", {{"Depth", "1"}});
  ASSERT_TRUE(listing && listing->status == 207);
  std::smatch href;
  ASSERT_TRUE(std::regex_search(listing->body, href, std::regex(R"(<[^>]*href>([^<]+\.ics)</)"))) << listing->body;
  auto mine = hub_->radicale().request("nurse", "GET", href[1].str());
  ASSERT_TRUE(mine && mine->status == 200);
  std::string declined = unfold_ics(mine->body);
  const std::regex her_line("(ATTENDEE[^\\r\\n]*)PARTSTAT=NEEDS-ACTION([^\\r\\n]*mailto:" + k_nurse_email + ")",
                            std::regex::icase);
  ASSERT_TRUE(std::regex_search(declined, her_line)) << declined;
  declined = std::regex_replace(declined, her_line, "$1PARTSTAT=DECLINED$2");
  auto put = hub_->radicale().request("nurse", "PUT", href[1].str(), declined,
                                      {{"Content-Type", "text/calendar; charset=utf-8"},
                                       {"If-Match", mine->header("ETag").value_or("*")}});
  ASSERT_TRUE(put && put->status / 100 == 2) << (put ? put->body : put.status().message());
  ASSERT_TRUE(hub_->run_connector("cal-nurse"));
  json replies;
  ASSERT_TRUE(hub_->wait_until([&] {
    const json m = hub_->api("staff", "GET", "/v1/meetings/ot-1").json();
    replies = m.is_object() ? m.value("replies", json::array()) : json::array();
    return replies.size() == 1 && replies[0].value("partstat", "") == "declined";
  })) << replies.dump() << hub_->daemon().all_output();
  EXPECT_EQ(replies[0]["attendee"], k_nurse_email);
  EXPECT_EQ(replies[0]["connector"], "cal-nurse");

  // Cancelled: still in every calendar, as STATUS:CANCELLED with SEQUENCE up; her reply is kept.
  json cancelled_doc = moved_doc;
  cancelled_doc["status"] = "cancelled";
  const auto cancelled = hub_->api("staff", "PUT", "/v1/meetings/ot-1", cancelled_doc);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json().value("event", ""), "meeting.cancelled");
  for (const char* user : {"nurse", "smw"}) {
    json e = wait_for_event(user, [](const json& ev) { return ev["status"] == "CANCELLED"; });
    ASSERT_TRUE(e.is_object()) << user << ": " << hub_->calendar_text(user);
    EXPECT_EQ(e["uid"], uid);
    EXPECT_GE(e["sequence"].get<int>(), 2) << user;
  }
  const json after = hub_->api("staff", "GET", "/v1/meetings/ot-1").json();
  EXPECT_EQ(after.value("status", ""), "cancelled");
  ASSERT_EQ(after.value("replies", json::array()).size(), 1u) << "the owner's PUT keeps the recipients' replies: "
                                                              << after.dump();
  EXPECT_EQ(after["replies"][0]["partstat"], "declined");

  // Every copy sent is audited: three to each calendar, each naming its recipient; the feed's
  // fetches as well; and the chain holds.
  const auto audit = hub_->api("privacy_officer", "GET", "/v1/audit?tenant=" + k_cal_tenant + "&purpose=calendar&limit=1000");
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::map<std::string, int> delivered;
  int feed_fetches = 0;
  const json entries = audit.json()["entries"];
  for (const auto& entry : entries) {
    const std::string actor = entry.value("actor", "");
    if (entry.value("action", "") == "deliver" && entry.value("outcome", "") == "delivered") {
      ++delivered[actor];
      const std::string named = actor == "cal-nurse" ? "A. Bos" : "B. de Vries";
      EXPECT_NE(entry.value("recipient", "").find(named), std::string::npos) << entry.dump();
    }
    if (entry.value("actor_role", "") == "calendar_feed") ++feed_fetches;
  }
  EXPECT_EQ(delivered["cal-nurse"], 3) << audit.body;
  EXPECT_EQ(delivered["cal-smw"], 3) << audit.body;
  EXPECT_GE(feed_fetches, 2) << audit.body;
  const auto verified = hub_->audit_verify();
  EXPECT_EQ(verified.exit_code, 0) << verified.output;

  // No calendar password in anything the daemon wrote.
  for (const auto& [user, password] : k_calendar_users)
    EXPECT_EQ(hub_->daemon().all_output().find(password), std::string::npos) << user << "'s password leaked";
}
