#pragma once
// The content-line rules of RFC 5545 section 3.1 and 3.3.11: TEXT escaping, folding at 75
// octets (never inside a UTF-8 character) and the reverse of both.
#include <string>
#include <string_view>

namespace schakel::ical {

inline constexpr std::size_t k_max_line_octets = 75;  // excluding the CRLF

// Escapes a TEXT value: backslash, semicolon, comma and newlines (CRLF, LF or CR become "\n").
// Other control characters (except HTAB) are not allowed in TEXT and are dropped.
std::string escape_text(std::string_view value);
// The reverse of escape_text: "\\n" and "\\N" become LF; an unknown escape keeps its character.
std::string unescape_text(std::string_view value);

// A parameter value (e.g. CN): quoted when it holds ':', ';' or ','. DQUOTE and control
// characters cannot appear in a parameter value; DQUOTE becomes an apostrophe, controls are dropped.
std::string param_value(std::string_view value);

// Folds one unfolded content line into CRLF-terminated physical lines of at most 75 octets each
// (continuations start with one space, which counts), cutting only between UTF-8 characters.
std::string fold_line(std::string_view line);
// Joins folded lines (CRLF or LF followed by a space or a tab) back into logical lines.
std::string unfold(std::string_view text);

}  // namespace schakel::ical
