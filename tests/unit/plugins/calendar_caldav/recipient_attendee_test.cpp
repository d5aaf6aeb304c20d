// The recipient is always an attendee of the copy in their calendar: the consent-gated views name
// no attendees, and without an ATTENDEE line for them a decline could not be given or read back.
#include <gtest/gtest.h>

#include "rules.hpp"

using namespace schakel;
using namespace schakel::caldav;

namespace {

ical::Event view_without_attendees() {
  ical::Event e;
  e.uid = "ot-1@schakel";
  e.sequence = 0;
  e.summary = "OT-overleg";
  return e;
}

}  // namespace

TEST(RecipientAttendee, AViewWithoutAttendeesGetsTheRecipientAwaitingTheirAnswer) {
  const ical::Event e = with_recipient(view_without_attendees(), "jvk@ggd.example");
  ASSERT_EQ(e.attendees.size(), 1u);
  EXPECT_EQ(e.attendees[0].email, "jvk@ggd.example");
  EXPECT_EQ(e.attendees[0].partstat, ical::PartStat::needs_action);
  EXPECT_NE(find_attendee(e, "JVK@ggd.example"), nullptr) << "addresses compare without case";
}

TEST(RecipientAttendee, ARecipientTheDocumentNamesIsKeptAsItIs) {
  ical::Event doc = view_without_attendees();
  doc.attendees.push_back({"JVK@GGD.example", "Jeugdverpleegkundige", ical::PartStat::accepted, false});
  const ical::Event e = with_recipient(doc, "jvk@ggd.example");
  EXPECT_EQ(e.attendees, doc.attendees);
}

TEST(RecipientAttendee, TheirDeclineSurvivesTheNextVersionOfTheMeeting) {
  // What Schakel wrote, then the recipient declined; the owner then moves the meeting.
  ical::Event written = with_recipient(view_without_attendees(), "jvk@ggd.example");
  written.attendees[0].partstat = ical::PartStat::declined;
  ical::Event moved = view_without_attendees();
  moved.start = written.start + std::chrono::hours(24 * 7);
  moved.sequence = 1;
  const ical::Event next = next_version(with_recipient(moved, "jvk@ggd.example"), written, "jvk@ggd.example");
  ASSERT_EQ(next.attendees.size(), 1u);
  EXPECT_EQ(next.attendees[0].partstat, ical::PartStat::declined);
  EXPECT_EQ(next.sequence, 1);
}
