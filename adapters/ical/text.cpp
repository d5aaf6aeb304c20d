#include "ical/text.hpp"

namespace schakel::ical {
namespace {

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

std::string escape_text(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\r':
        if (i + 1 < value.size() && value[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n': out += "\\n"; break;
      default:
        if (!is_control(static_cast<unsigned char>(c))) out += c;
    }
  }
  return out;
}

std::string unescape_text(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    const char n = value[++i];
    out += (n == 'n' || n == 'N') ? '\n' : n;
  }
  return out;
}

std::string param_value(std::string_view value) {
  std::string clean;
  bool quote = false;
  for (char c : value) {
    if (is_control(static_cast<unsigned char>(c))) continue;
    if (c == '"') c = '\'';
    if (c == ':' || c == ';' || c == ',') quote = true;
    clean += c;
  }
  return quote ? "\"" + clean + "\"" : clean;
}

std::string fold_line(std::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / 70 * 3 + 2);
  std::size_t pos = 0;
  bool first = true;
  while (true) {
    // A continuation line spends one of its 75 octets on the leading space.
    const std::size_t room = first ? k_max_line_octets : k_max_line_octets - 1;
    if (line.size() - pos <= room) {
      if (!first) out += ' ';
      out.append(line.substr(pos));
      out += "\r\n";
      return out;
    }
    std::size_t cut = pos + room;
    // Back off to the first byte of a UTF-8 character (continuation bytes are 10xxxxxx).
    while (cut > pos + 1 && (static_cast<unsigned char>(line[cut]) & 0xC0U) == 0x80U) --cut;
    if (!first) out += ' ';
    out.append(line.substr(pos, cut - pos));
    out += "\r\n";
    pos = cut;
    first = false;
  }
}

std::string unfold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && i + 2 < text.size() && text[i + 1] == '\n' && (text[i + 2] == ' ' || text[i + 2] == '\t')) {
      i += 2;
      continue;
    }
    if (c == '\n' && i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t')) {
      i += 1;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace schakel::ical
