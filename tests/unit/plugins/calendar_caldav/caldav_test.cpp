// calendar-caldav against a real Radicale: discovery, conditional create and update, the 412
// rule (Schakel owns time and agenda, the recipient their PARTSTAT), replies and hand edits read
// back through sync-collection or ETags, cancellation without DELETE.
#include "caldav_fixture.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;
using plugin_host::CallCode;

const std::string k_uid = "ot-2026-11-24@schakel.invalid";
const std::string k_start = "2026-11-24T09:30:00+01:00";
const std::string k_end = "2026-11-24T11:00:00+01:00";

std::vector<Record> of_stream(const std::vector<Record>& all, const std::string& stream) {
  std::vector<Record> out;
  for (const auto& r : all) {
    if (r.stream == stream) out.push_back(r);
  }
  return out;
}

TEST_F(Caldav, DiscoversTheNamedCalendarAmongOthers) {
  radicale().make_calendar("nurse", calendar_ + "-other");
  ASSERT_TRUE(add(settings()));
  const auto r = host_->check("cal").get();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const json stored = json::parse(state("collection").value_or("{}"));
  EXPECT_EQ(stored["href"], radicale().url("/nurse/" + calendar_ + "/"));
}

TEST_F(Caldav, CreatesOnceWithIfNoneMatchAndSendsNothingForAnUnchangedDocument) {
  ASSERT_TRUE(add(settings()));
  const auto first = deliver(meeting(k_uid, 0, k_start, k_end));
  ASSERT_EQ(first.code, CallCode::ok) << first.message;
  const json receipt = json::parse(first.receipt_json);
  EXPECT_EQ(receipt["href"], "/nurse/" + calendar_ + "/ot-2026-11-24%40schakel.invalid.ics");
  auto [copy, etag] = server_copy("ot-2026-11-24%40schakel.invalid");
  EXPECT_EQ(copy.uid, k_uid);
  EXPECT_EQ(ical::format_amsterdam(copy.start), k_start);
  EXPECT_EQ(copy.summary, "OT-overleg");
  EXPECT_EQ(receipt["etag"], etag);

  const auto again = deliver(meeting(k_uid, 0, k_start, k_end));
  ASSERT_EQ(again.code, CallCode::ok) << again.message;
  EXPECT_EQ(json::parse(again.receipt_json)["etag"], etag) << "an unchanged meeting was written again";
  EXPECT_EQ(json::parse(again.receipt_json), receipt) << "the receipt of an unchanged meeting differs";
  EXPECT_EQ(server_copy("ot-2026-11-24%40schakel.invalid").second, etag);
}

TEST_F(Caldav, UpdatesWithIfMatchAndMovesTheMeeting) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m1", 0, k_start, k_end)).code, CallCode::ok);
  const auto before = server_copy("m1").second;
  const auto moved = deliver(meeting("m1", 1, "2026-12-01T13:00:00+01:00", "2026-12-01T14:00:00+01:00"));
  ASSERT_EQ(moved.code, CallCode::ok) << moved.message;
  auto [copy, etag] = server_copy("m1");
  EXPECT_NE(etag, before);
  EXPECT_EQ(ical::format_amsterdam(copy.start), "2026-12-01T13:00:00+01:00");
  EXPECT_EQ(copy.sequence, 1);
}

TEST_F(Caldav, ConflictKeepsSchakelsTimeAndTheRecipientsPartstat) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m2", 0, k_start, k_end)).code, CallCode::ok);
  // Behind the plugin's back: the nurse declines and drags the meeting two hours later.
  edit_by_hand("m2", [](std::string& ics) {
    replace(ics, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED");
    replace(ics, "20261124T093000", "20261124T113000");
    replace(ics, "SEQUENCE:0", "SEQUENCE:3");
  });
  // Schakel changes the location: its stored ETag is stale, so the PUT meets a 412.
  json doc = meeting("m2", 1, k_start, k_end);
  doc["event"]["location"] = "Lokaal 14";
  const auto r = deliver(doc);
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  auto [copy, etag] = server_copy("m2");
  EXPECT_EQ(ical::format_amsterdam(copy.start), k_start) << "Schakel owns the time";
  EXPECT_EQ(copy.location, "Lokaal 14");
  EXPECT_GT(copy.sequence, 3) << "the resolved version must supersede the server's";
  ASSERT_EQ(copy.attendees.size(), 2U);
  EXPECT_EQ(copy.attendees[0].partstat, ical::PartStat::declined) << "the recipient owns their PARTSTAT";
  EXPECT_EQ(copy.attendees[1].partstat, ical::PartStat::accepted);
  EXPECT_EQ(json::parse(r.receipt_json)["etag"], etag);
  const auto replies = of_stream(records(), "calendar_reply");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].record["partstat"], "declined");
  EXPECT_EQ(replies[0].record["attendee"], "jvk@ggd.example");
}

TEST_F(Caldav, ReadsAReplyThroughSyncCollectionOnce) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m3", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto first_token = state("sync_token");
  ASSERT_TRUE(first_token && !first_token->empty());
  EXPECT_TRUE(records().empty()) << "our own write is not a change";

  edit_by_hand("m3", [](std::string& ics) { replace(ics, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED"); });
  const auto p = poll();
  ASSERT_EQ(p.code, CallCode::ok) << p.message;
  const auto replies = of_stream(records(), "calendar_reply");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].record["uid"], "m3");
  EXPECT_EQ(replies[0].record["partstat"], "accepted");
  EXPECT_EQ(replies[0].record["observed_at"], "2026-11-20T08:00:00.000000Z");
  EXPECT_NE(state("sync_token"), first_token);
  EXPECT_TRUE(of_stream(records(), "calendar_change").empty()) << "a reply is not an edit";

  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_EQ(records().size(), 1U) << "the same reply was reported twice";
  // A later change by Schakel keeps the reply.
  ASSERT_EQ(deliver(meeting("m3", 1, "2026-11-24T10:00:00+01:00", k_end)).code, CallCode::ok);
  EXPECT_EQ(server_copy("m3").first.attendees[0].partstat, ical::PartStat::accepted);
}

TEST_F(Caldav, AnUnchangedGetctagSkipsTheReportButAReplyOrAMoveAfterItIsStillSeen) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m20", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto token = state("sync_token");
  const auto ctag = state("ctag");
  ASSERT_TRUE(token && ctag);
  EXPECT_EQ(json::parse(*ctag)["href"], radicale().url("/nurse/" + calendar_ + "/"));
  // A token the server would refuse: had the next poll sent its REPORT, the refusal would have
  // made it read the whole calendar and store a fresh token.
  const std::string refused = "http://radicale.org/ns/sync/unknown";
  ASSERT_TRUE(state_->put("cal", "sync_token", refused));
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_EQ(state("sync_token"), refused) << "a poll of an unchanged calendar sent the sync-collection REPORT";
  EXPECT_EQ(state("ctag"), ctag);
  ASSERT_TRUE(state_->put("cal", "sync_token", *token));

  // The recipient declines: the tag changes, so the next poll reads the change.
  edit_by_hand("m20", [](std::string& ics) { replace(ics, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED"); });
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto replies = of_stream(records(), "calendar_reply");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].record["partstat"], "declined");
  EXPECT_NE(state("sync_token"), token);
  EXPECT_NE(state("ctag"), ctag);
  ASSERT_EQ(poll().code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_EQ(records().size(), 1U) << "the same reply was reported twice";

  // Moved by hand after a quiet poll: still seen, reported and put back with the decline kept.
  edit_by_hand("m20", [](std::string& ics) { replace(ics, "20261124T093000", "20261124T080000"); });
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto changes = of_stream(records(), "calendar_change");
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].record["kind"], "moved");
  EXPECT_EQ(changes[0].record["found_start"], "2026-11-24T08:00:00+01:00");
  auto [copy, etag] = server_copy("m20");
  EXPECT_EQ(ical::format_amsterdam(copy.start), k_start);
  EXPECT_EQ(copy.attendees[0].partstat, ical::PartStat::declined);
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_EQ(records().size(), 2U);
}

TEST_F(Caldav, WithTheGetctagCheckOffEveryPollSendsItsReport) {
  ASSERT_TRUE(add(settings()));
  ASSERT_TRUE(state_->put("cal", "ctag_unsupported", "1"));
  ASSERT_EQ(deliver(meeting("m21", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_FALSE(state("ctag"));
  const std::string refused = "http://radicale.org/ns/sync/unknown";
  ASSERT_TRUE(state_->put("cal", "sync_token", refused));
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_NE(state("sync_token"), refused);
  EXPECT_TRUE(records().empty());
}

TEST_F(Caldav, AMeetingMovedByHandIsReportedAndPutBack) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m4", 2, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  edit_by_hand("m4", [](std::string& ics) { replace(ics, "20261124T110000", "20261124T120000"); });
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto changes = of_stream(records(), "calendar_change");
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].record["kind"], "moved");
  EXPECT_EQ(changes[0].record["found_end"], "2026-11-24T12:00:00+01:00");
  EXPECT_EQ(changes[0].record["restored"], true);
  auto [copy, etag] = server_copy("m4");
  EXPECT_EQ(ical::format_amsterdam(copy.end), k_end);
  EXPECT_EQ(copy.sequence, 3);
  // Putting it back is itself a change in the collection, but not one to report.
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_EQ(records().size(), 1U);
}

TEST_F(Caldav, CancellationIsStatusCancelledWithAHigherSequenceNotADelete) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m5", 4, k_start, k_end)).code, CallCode::ok);
  // The document keeps its sequence: the plugin still raises it, since recipients must see it.
  const auto r = deliver(meeting("m5", 4, k_start, k_end, "cancelled"));
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  auto [copy, etag] = server_copy("m5");
  EXPECT_EQ(copy.status, ical::EventStatus::cancelled);
  EXPECT_EQ(copy.sequence, 5);
  EXPECT_EQ(copy.uid, "m5");
}

TEST_F(Caldav, WithoutSyncCollectionETagsShowRepliesAndDeletionsByHand) {
  json s = settings();
  s["sync"] = "etag";
  ASSERT_TRUE(add(s));
  ASSERT_EQ(deliver(meeting("m6", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(deliver(meeting("m7", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_TRUE(records().empty());
  edit_by_hand("m6", [](std::string& ics) { replace(ics, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=TENTATIVE"); });
  auto del = radicale().request("nurse", "DELETE", path("m7"));
  ASSERT_TRUE(del && del->status == 200);
  ASSERT_EQ(poll().code, CallCode::ok);
  EXPECT_FALSE(state("sync_token")) << "sync-collection was used although sync is etag";
  const auto replies = of_stream(records(), "calendar_reply");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].record["partstat"], "tentative");
  const auto changes = of_stream(records(), "calendar_change");
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].record["kind"], "deleted");
  EXPECT_EQ(server_copy("m7").first.sequence, 1) << "a meeting deleted by hand is put back";
}

TEST_F(Caldav, AnExpiredSyncTokenRereadsTheWholeCalendar) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m11", 0, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  ASSERT_TRUE(state_->put("cal", "sync_token", "http://radicale.org/ns/sync/expired"));
  edit_by_hand("m11", [](std::string& ics) { replace(ics, "PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED"); });
  const auto p = poll();
  ASSERT_EQ(p.code, CallCode::ok) << p.message;
  const auto replies = of_stream(records(), "calendar_reply");
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].record["partstat"], "declined");
  EXPECT_NE(state("sync_token"), "http://radicale.org/ns/sync/expired");
}

TEST_F(Caldav, AMeetingDeletedByHandIsSeenBySyncCollectionAndPutBack) {
  ASSERT_TRUE(add(settings()));
  ASSERT_EQ(deliver(meeting("m12", 1, k_start, k_end)).code, CallCode::ok);
  ASSERT_EQ(poll().code, CallCode::ok);
  auto del = radicale().request("nurse", "DELETE", path("m12"));
  ASSERT_TRUE(del && del->status == 200);
  ASSERT_EQ(poll().code, CallCode::ok);
  const auto changes = of_stream(records(), "calendar_change");
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].record["kind"], "deleted");
  EXPECT_EQ(server_copy("m12").first.sequence, 2);
}

TEST_F(Caldav, AnEventCreatedElsewhereWithTheSameUidIsNotOverwrittenBlind) {
  ASSERT_TRUE(add(settings()));
  // The resource exists before Schakel writes (e.g. its state was lost): If-None-Match: * fails.
  std::string ics = ical::unfold(R"(BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//other//EN
BEGIN:VEVENT
UID:m8
DTSTAMP:20261101T000000Z
DTSTART:20261124T140000Z
DTEND:20261124T150000Z
SEQUENCE:1
SUMMARY:oud
ATTENDEE;PARTSTAT=ACCEPTED:mailto:jvk@ggd.example
END:VEVENT
END:VCALENDAR
)");
  auto put = radicale().request("nurse", "PUT", path("m8"), ics, {{"Content-Type", "text/calendar"}});
  ASSERT_TRUE(put && put->status == 201);
  const auto r = deliver(meeting("m8", 0, k_start, k_end));
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  auto [copy, etag] = server_copy("m8");
  EXPECT_EQ(copy.summary, "OT-overleg");
  EXPECT_EQ(ical::format_amsterdam(copy.start), k_start);
  EXPECT_EQ(copy.sequence, 2);
  EXPECT_EQ(copy.attendees[0].partstat, ical::PartStat::accepted);
}

TEST_F(Caldav, ABadDocumentIsRejectedWithItsPointer) {
  ASSERT_TRUE(add(settings()));
  json doc = meeting("m9", 0, k_start, k_end);
  doc["event"]["start"] = "2026-11-24T09:30:00+02:00";
  const auto r = deliver(doc);
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_EQ(r.message, "document/event/start: offset +02:00 is not Europe/Amsterdam's at 2026-11-24T09:30:00");
}

TEST_F(Caldav, RefusedCredentialsStopTheConnectorWithoutShowingThePassword) {
  json s = settings();
  s["password"] = "wrong-password-x1";
  ASSERT_TRUE(add(s));
  const auto r = deliver(meeting("m10", 0, k_start, k_end));
  EXPECT_EQ(r.code, CallCode::fatal);
  EXPECT_NE(r.message.find("refused the credentials of user nurse"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("wrong-password-x1"), std::string::npos);
}

}  // namespace
}  // namespace schakel::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new schakel::test::RadicaleEnvironment);
  return RUN_ALL_TESTS();
}
