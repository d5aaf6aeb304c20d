// Windows time zone names, as Outlook and Exchange put them in TZID, to IANA zones (the
// "001" territory of the CLDR windowsZones mapping). Only zones a Dutch school's partners are
// likely to publish in; an unknown name is still read when the feed carries its VTIMEZONE.
#include <array>
#include <string_view>
#include <utility>

#include "feed.hpp"

namespace schakel::calendar_ics {

std::string iana_of_windows_zone(std::string_view windows_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> k_zones{{
      {"W. Europe Standard Time", "Europe/Berlin"},
      {"Romance Standard Time", "Europe/Paris"},
      {"Central Europe Standard Time", "Europe/Budapest"},
      {"Central European Standard Time", "Europe/Warsaw"},
      {"GMT Standard Time", "Europe/London"},
      {"Greenwich Standard Time", "Atlantic/Reykjavik"},
      {"UTC", "UTC"},
      {"Coordinated Universal Time", "UTC"},
      {"E. Europe Standard Time", "Europe/Chisinau"},
      {"FLE Standard Time", "Europe/Kiev"},
      {"GTB Standard Time", "Europe/Bucharest"},
      {"Turkey Standard Time", "Europe/Istanbul"},
      {"Russian Standard Time", "Europe/Moscow"},
      {"Morocco Standard Time", "Africa/Casablanca"},
      {"W. Central Africa Standard Time", "Africa/Lagos"},
      {"South Africa Standard Time", "Africa/Johannesburg"},
      {"Eastern Standard Time", "America/New_York"},
      {"Central Standard Time", "America/Chicago"},
      {"Mountain Standard Time", "America/Denver"},
      {"Pacific Standard Time", "America/Los_Angeles"},
      {"SA Pacific Standard Time", "America/Bogota"},
      {"SA Western Standard Time", "America/La_Paz"},
      {"Tokyo Standard Time", "Asia/Tokyo"},
      {"India Standard Time", "Asia/Kolkata"},
  }};
  for (const auto& [windows, iana] : k_zones)
    if (windows == windows_name) return std::string(iana);
  return {};
}

}  // namespace schakel::calendar_ics
