#include "outline.hpp"

#include <algorithm>
#include <cctype>

namespace schakel::calendar_ics {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// What a person can recognise of a line in an error, without dumping a whole HTML page.
std::string shown(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  return line.size() > 60 ? out + "..." : out;
}

Status at(int line, const std::string& what) { return {ErrorCode::invalid, "line " + std::to_string(line) + ": " + what}; }

}  // namespace

int EventOutline::line_of(std::string_view name) const {
  for (const auto& p : properties)
    if (p.name == name) return p.line;
  return begin_line;
}

Result<FeedOutline> outline_feed(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    // Name the line where the limit is crossed, so the feed's owner can see what grew.
    const auto cut = text.substr(0, max_bytes);
    const int line = 1 + static_cast<int>(std::count(cut.begin(), cut.end(), '\n'));
    return at(line, "the feed is " + std::to_string(text.size()) + " bytes, over the limit of " +
                        std::to_string(max_bytes) + " (max_feed_bytes); the limit is crossed here");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM, as some exporters write
  FeedOutline out;
  std::vector<std::pair<std::string, int>> open;  // component name, BEGIN line
  int calendars = 0;
  int line = 0;
  std::size_t pos = 0;
  bool seen_content = false;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty()) continue;
    if (raw.front() == ' ' || raw.front() == '\t') {  // a folded continuation
      if (!seen_content) return at(line, "not an iCalendar feed: it starts with a continuation line");
      continue;
    }
    const std::size_t name_end = raw.find_first_of(":;");
    if (name_end == std::string_view::npos || name_end == 0) {
      if (!seen_content) return at(line, "not an iCalendar feed: expected BEGIN:VCALENDAR, found '" + shown(raw) + "'");
      return at(line, "not an iCalendar content line (no ':'): '" + shown(raw) + "'");
    }
    const std::string name = upper(raw.substr(0, name_end));
    const std::string value = upper(raw.substr(raw.find(':') == std::string_view::npos ? raw.size() : raw.find(':') + 1));
    if (!seen_content) {
      if (name != "BEGIN" || value != "VCALENDAR")
        return at(line, "not an iCalendar feed: expected BEGIN:VCALENDAR, found '" + shown(raw) + "'");
      seen_content = true;
    }
    if (name == "BEGIN") {
      if (open.empty()) {
        if (value != "VCALENDAR") return at(line, "BEGIN:" + value + " outside the VCALENDAR");
        if (++calendars > 1) return at(line, "a second VCALENDAR; a feed holds one");
      }
      if (open.size() == 1 && value == "VEVENT") out.events.push_back({line, {}});
      open.emplace_back(value, line);
      if (open.size() > 8) return at(line, "components nested more than 8 deep");
      continue;
    }
    if (name == "END") {
      if (open.empty()) return at(line, "END:" + value + " without a BEGIN");
      if (open.back().first != value)
        return at(line, "END:" + value + " where END:" + open.back().first + " (begun at line " +
                            std::to_string(open.back().second) + ") was expected");
      open.pop_back();
      continue;
    }
    if (open.empty()) return at(line, "content after END:VCALENDAR: '" + shown(raw) + "'");
    if (open.size() == 2 && open.back().first == "VEVENT") out.events.back().properties.push_back({name, line});
  }
  if (!seen_content) return at(std::max(line, 1), "not an iCalendar feed: it is empty");
  if (!open.empty())
    return at(line, "the feed is truncated: BEGIN:" + open.back().first + " at line " +
                        std::to_string(open.back().second) + " has no END before the feed ends");
  out.lines = line;
  return out;
}

}  // namespace schakel::calendar_ics
