// The 207 Multi-Status parser: prefixes, propstats with other statuses, sync tokens, removed
// members, calendar-data with escaped characters, and broken XML.
#include <gtest/gtest.h>

#include "multistatus.hpp"

namespace schakel::caldav {
namespace {

TEST(Multistatus, ReadsHrefsEtagsAndCalendarDataWhateverThePrefixes) {
  const std::string xml = R"(<?xml version="1.0"?>
<x:multistatus xmlns:x="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">
  <x:sync-token> http://example/sync/42 </x:sync-token>
  <x:response>
    <x:href>/nurse/ot/a%40b.ics</x:href>
    <x:propstat><x:prop><x:getetag>"e1"</x:getetag><cal:calendar-data>BEGIN:VCALENDAR&#13;
SUMMARY:a &amp; b &lt;c&gt;&#13;
END:VCALENDAR&#13;
</cal:calendar-data></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat>
    <x:propstat><x:prop><x:displayname/></x:prop><x:status>HTTP/1.1 404 Not Found</x:status></x:propstat>
  </x:response>
  <x:response><x:href>/nurse/ot/gone.ics</x:href><x:status>HTTP/1.1 404 Not Found</x:status></x:response>
</x:multistatus>)";
  auto ms = parse_multistatus(xml);
  ASSERT_TRUE(ms) << ms.status().message();
  EXPECT_EQ(ms->sync_token, "http://example/sync/42");
  ASSERT_EQ(ms->responses.size(), 2U);
  const auto& a = ms->responses[0];
  EXPECT_EQ(a.href, "/nurse/ot/a%40b.ics");
  EXPECT_EQ(a.status, 0);
  ASSERT_NE(a.prop(k_getetag), nullptr);
  EXPECT_EQ(a.prop(k_getetag)->text, "\"e1\"");
  ASSERT_NE(a.prop(k_calendar_data), nullptr);
  EXPECT_EQ(a.prop(k_calendar_data)->text, "BEGIN:VCALENDAR\r\nSUMMARY:a & b <c>\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(a.prop(k_displayname), nullptr) << "a property from a 404 propstat";
  EXPECT_EQ(ms->responses[1].status, 404);
}

TEST(Multistatus, ReadsDiscoveryProperties) {
  const std::string xml = R"(<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<response><href>/nurse/</href><propstat><prop>
  <current-user-principal><href>/nurse/</href></current-user-principal>
  <C:calendar-home-set><href>/home/nurse/</href></C:calendar-home-set>
  <resourcetype><collection/><C:calendar/></resourcetype>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>)";
  auto ms = parse_multistatus(xml);
  ASSERT_TRUE(ms) << ms.status().message();
  const auto& r = ms->responses.at(0);
  EXPECT_EQ(r.prop(k_current_user_principal)->hrefs, std::vector<std::string>{"/nurse/"});
  EXPECT_EQ(r.prop(k_calendar_home_set)->hrefs, std::vector<std::string>{"/home/nurse/"});
  EXPECT_EQ(r.prop(k_resourcetype)->children, (std::vector<std::string>{"DAV: collection", k_calendar_type}));
  EXPECT_EQ(r.prop(k_supported_components)->names, (std::vector<std::string>{"VEVENT", "VTODO"}));
}

TEST(Multistatus, BrokenOrForeignXmlIsAnErrorWithItsPlace) {
  auto broken = parse_multistatus("<multistatus xmlns=\"DAV:\">\n<response></multistatus>");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.status().message(), "multistatus XML line 2, column 12: mismatched tag");
  auto html = parse_multistatus("<html><body>proxy error</body></html>");
  ASSERT_FALSE(html);
  EXPECT_EQ(html.status().message(), "not a DAV multistatus: the root element is \"html\"");
}

TEST(Multistatus, StatusLines) {
  EXPECT_EQ(parse_status_line(" HTTP/1.1 207 Multi-Status "), 207);
  EXPECT_EQ(parse_status_line("HTTP/1.1 4x4 Nope"), 0);
  EXPECT_EQ(parse_status_line("garbage"), 0);
}

}  // namespace
}  // namespace schakel::caldav
