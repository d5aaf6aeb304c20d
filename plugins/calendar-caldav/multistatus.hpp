#pragma once
// A WebDAV 207 Multi-Status body (RFC 4918 section 13, RFC 6578's sync-token) parsed with expat:
// per response its href, its own status (for removed members in a sync report) and the
// properties that came back with a 2xx propstat.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace schakel::caldav {

// Property names are "<namespace> <local name>", as expat reports them.
inline constexpr const char* k_getetag = "DAV: getetag";
inline constexpr const char* k_resourcetype = "DAV: resourcetype";
inline constexpr const char* k_displayname = "DAV: displayname";
inline constexpr const char* k_current_user_principal = "DAV: current-user-principal";
inline constexpr const char* k_calendar_home_set = "urn:ietf:params:xml:ns:caldav calendar-home-set";
inline constexpr const char* k_calendar_data = "urn:ietf:params:xml:ns:caldav calendar-data";
inline constexpr const char* k_supported_components = "urn:ietf:params:xml:ns:caldav supported-calendar-component-set";
inline constexpr const char* k_calendar_type = "urn:ietf:params:xml:ns:caldav calendar";
// CalendarServer's collection tag: changes whenever any member (or the collection) changes.
inline constexpr const char* k_getctag = "http://calendarserver.org/ns/ getctag";

struct PropValue {
  std::string text;                   // character data anywhere inside, e.g. an ETag or ICS
  std::vector<std::string> hrefs;     // DAV:href children (principal, home set)
  std::vector<std::string> children;  // names of the direct child elements (resourcetype)
  std::vector<std::string> names;     // "name" attributes of children (supported components)
};

struct DavResponse {
  std::string href;
  int status = 0;  // the response's own status line, 0 when it has propstats instead
  std::map<std::string, PropValue> props;  // from 2xx propstats only
  [[nodiscard]] const PropValue* prop(const std::string& name) const {
    auto it = props.find(name);
    return it == props.end() ? nullptr : &it->second;
  }
};

struct MultiStatus {
  std::vector<DavResponse> responses;
  std::string sync_token;  // RFC 6578; empty when absent
};

// Errors say where the XML is broken (line and column).
Result<MultiStatus> parse_multistatus(std::string_view xml);

// "HTTP/1.1 404 Not Found" -> 404; 0 when unreadable.
int parse_status_line(std::string_view line);

}  // namespace schakel::caldav
