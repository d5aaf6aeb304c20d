// A meeting's replies belong to its recipients: the owner's PUT keeps them (issue 9), and a
// meeting imported from a school's feed is owned by the connector that emitted it, which the
// importer names (the feed's settings need not repeat the connector id). In process: a real
// Runtime on a temp SQLite store; requests go straight to the ApiService.
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "api/token_store.hpp"
#include "config/config.hpp"
#include "daemon/pipeline.hpp"
#include "daemon/runtime.hpp"
#include "temp_dir.hpp"

using namespace schakel;
using nlohmann::json;

namespace {

const std::string k_schemas = std::string(SCHAKEL_SOURCE_DIR) + "/schemas";

json planned_meeting(const std::string& day) {
  return {{"id", "ot-1"}, {"school_id", "sch1"}, {"kind", "ot"}, {"start", day + "T13:00:00+01:00"},
          {"end", day + "T15:00:00+01:00"}, {"location", "Teamkamer"},
          {"standing_members", {{{"role", "youth_nurse"}, {"name", "A. Bos"}, {"organisation", "GGD"}}}},
          {"agenda", {{{"start", day + "T13:30:00+01:00"}, {"end", day + "T14:00:00+01:00"}, {"case_id", "k1"},
                       {"student_id", "s1"}}}}};
}

class MeetingReplies : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto file = dir_.path() / "schakel.yaml";
    std::ofstream(file) << "version: 1\ninstance:\n  name: replies\n  data_dir: data\n"
                           "  log: {format: json, level: warn}\n"
                           "api:\n  listen: 127.0.0.1:0\n  allow_plain_http_on_loopback: true\n"
                           "schools:\n  - {brin: 27XK, naam: CBS Het Kompas}\n";
    auto schemas = schema::SchemaSet::load(k_schemas);
    ASSERT_TRUE(schemas) << schemas.status().message();
    auto loaded = config::load_config(file, *schemas);
    ASSERT_TRUE(loaded.config);
    auto rt = daemon::Runtime::open(io_, std::move(*schemas), std::move(*loaded.config), k_schemas);
    ASSERT_TRUE(rt) << rt.status().message();
    rt_ = std::move(rt.value());
    ASSERT_NE(rt_->api(), nullptr);
    put(store::Kind::school, "sch1", {{"id", "sch1"}, {"brin", "27XK"}, {"vestiging", "01"}, {"naam", "CBS Het Kompas"}});
    put(store::Kind::student, "s1", {{"id", "s1"}, {"school_id", "sch1"}, {"las_key", "L1"},
                                     {"naam", {{"roepnaam", "Sanne"}, {"achternaam", "Bakker"}}},
                                     {"birth_date", "2016-04-02"}, {"status", "active"}});
    put(store::Kind::case_, "k1", {{"id", "k1"}, {"school_id", "sch1"}, {"student_id", "s1"}, {"stage", "ot"},
                                   {"opened_on", "2026-09-01"}});
    auto issued = rt_->api()->tokens().create({api::Role::staff, {"27XK"}, rt_->clock().now() + std::chrono::hours(1), "t", "t"});
    ASSERT_TRUE(issued) << issued.status().message();
    staff_ = issued->secret;
    importer_ = std::make_unique<daemon::RecordImporter>(rt_->store(), rt_->audit(), rt_->consent(), rt_->clock());
    importer_->set_fire([this](const std::string& trigger, const std::string& id, const std::string& actor) {
      fired_.push_back(trigger + " " + id + " by " + actor);
      return Status{};
    });
  }

  void put(store::Kind kind, const std::string& id, const json& doc) {
    store::Entity e{kind, id, "27XK01", doc.value("student_id", ""), "", "", "", true, doc, rt_->clock().now()};
    ASSERT_TRUE(rt_->store().write([&](store::Transaction& tx) { return tx.put(e); }));
  }

  api::ApiResponse call(const std::string& method, const std::string& target, const json& body = nullptr) {
    api::ApiRequest r;
    r.method = method;
    r.target = target;
    r.headers["authorization"] = "Bearer " + staff_;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers["content-type"] = "application/json";
    }
    r.client_ip = "127.0.0.1";
    return rt_->api()->service().handle(r);
  }

  json meeting() { return json::parse(call("GET", "/v1/meetings/ot-1").body); }

  Status reply(const std::string& uid, const std::string& partstat, const std::string& observed_at) {
    return importer_->import("cal-nurse", "calendar_reply",
                             {{"uid", uid}, {"attendee", "jvk@ggd.example"}, {"partstat", partstat}, {"observed_at", observed_at}});
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<daemon::Runtime> rt_;
  std::unique_ptr<daemon::RecordImporter> importer_;
  std::vector<std::string> fired_;
  std::string staff_;
};

}  // namespace

TEST_F(MeetingReplies, TheOwnersChangesKeepTheRecipientsReplies) {
  auto planned = call("POST", "/v1/meetings", planned_meeting("2030-01-16"));
  ASSERT_EQ(planned.status, 201) << planned.body;
  const std::string uid = json::parse(planned.body)["ical_uid"];
  ASSERT_TRUE(reply(uid, "declined", "2026-11-20T09:00:00Z"));
  ASSERT_EQ(meeting()["replies"].size(), 1u);

  // Moved by a PUT of the whole meeting, as the IB's client sends it: without the replies.
  auto moved = call("PUT", "/v1/meetings/ot-1", planned_meeting("2030-01-23"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  json m = meeting();
  EXPECT_EQ(m["start"], "2030-01-23T13:00:00+01:00");
  EXPECT_EQ(m["sequence"], 1);
  ASSERT_EQ(m["replies"].size(), 1u) << m.dump();
  EXPECT_EQ(m["replies"][0]["partstat"], "declined");
  EXPECT_EQ(m["replies"][0]["connector"], "cal-nurse");

  // A body that says other replies changes none of them: they are the recipients' to give.
  json claims = planned_meeting("2030-01-23");
  claims["location"] = "Lokaal 3";
  claims["replies"] = {{{"attendee", "jvk@ggd.example"}, {"partstat", "accepted"}, {"observed_at", "2026-11-21T09:00:00Z"}}};
  ASSERT_EQ(call("PUT", "/v1/meetings/ot-1", claims).status, 200);
  m = meeting();
  EXPECT_EQ(m["location"], "Lokaal 3");
  ASSERT_EQ(m["replies"].size(), 1u);
  EXPECT_EQ(m["replies"][0]["partstat"], "declined");

  // Sending back what GET returned (replies included) is no change at all.
  json same = m;
  auto unchanged = call("PUT", "/v1/meetings/ot-1", same);
  ASSERT_EQ(unchanged.status, 200) << unchanged.body;
  EXPECT_EQ(json::parse(unchanged.body)["changed"], false) << unchanged.body;

  // Cancelled: the replies stay with the meeting.
  json cancel = planned_meeting("2030-01-23");
  cancel["location"] = "Lokaal 3";
  cancel["status"] = "cancelled";
  ASSERT_EQ(call("PUT", "/v1/meetings/ot-1", cancel).status, 200);
  m = meeting();
  EXPECT_EQ(m["status"], "cancelled");
  ASSERT_EQ(m["replies"].size(), 1u);
  EXPECT_EQ(m["replies"][0]["partstat"], "declined");
}

TEST_F(MeetingReplies, TheImporterNamesTheEmittingConnectorAsTheOwner) {
  json m = planned_meeting("2030-02-06");
  m["id"] = "ics.feed1";
  m["ical_uid"] = "feed1@school.example";
  m["sequence"] = 0;
  m["status"] = "planned";
  m["owner"] = {{"kind", "connector"}};  // what calendar-ics emits without a connector_id setting
  ASSERT_TRUE(importer_->import("ics-kompas", "meetings", m));
  auto tx = rt_->store().begin(false);
  ASSERT_TRUE(tx);
  auto stored = (*tx)->get(store::Kind::meeting, "ics.feed1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->doc["owner"], (json{{"kind", "connector"}, {"connector_id", "ics-kompas"}}));
  EXPECT_EQ((*stored)->connector, "ics-kompas");
  tx->reset();
  EXPECT_TRUE(importer_->import("ics-kompas", "meetings", m)) << "the same record again changes nothing";
  EXPECT_EQ(fired_, (std::vector<std::string>{"meeting.planned ics.feed1 by ics-kompas"}));

  // A record naming another connector is refused, and so is one for a meeting another feed owns.
  json claims = m;
  claims["owner"]["connector_id"] = "ics-other";
  EXPECT_EQ(importer_->import("ics-kompas", "meetings", claims).code(), ErrorCode::invalid);
  EXPECT_EQ(importer_->import("ics-other", "meetings", m).code(), ErrorCode::conflict);
}

TEST_F(MeetingReplies, AMeetingFirstSeenCancelledTellsNoCalendar) {
  json m = planned_meeting("2030-02-13");
  m["id"] = "ics.gone";
  m["ical_uid"] = "gone@school.example";
  m["sequence"] = 1;
  m["status"] = "cancelled";
  m["owner"] = {{"kind", "connector"}};
  ASSERT_TRUE(importer_->import("ics-kompas", "meetings", m));
  EXPECT_TRUE(fired_.empty()) << fired_.front();
}
