#include "multistatus.hpp"

#include <expat.h>

#include <memory>

namespace schakel::caldav {
namespace {

constexpr const char* k_dav_multistatus = "DAV: multistatus";
constexpr const char* k_dav_response = "DAV: response";
constexpr const char* k_dav_propstat = "DAV: propstat";
constexpr const char* k_dav_prop = "DAV: prop";
constexpr const char* k_dav_href = "DAV: href";
constexpr const char* k_dav_status = "DAV: status";
constexpr const char* k_dav_sync_token = "DAV: sync-token";

struct Parse {
  MultiStatus out;
  std::vector<std::string> stack;  // element names from the root
  std::string text;                // character data of the innermost element
  DavResponse response;
  std::map<std::string, PropValue> propstat_props;
  int propstat_status = 0;
  std::string prop_name;  // the property being read, when inside DAV:prop
  std::size_t prop_depth = 0;
  std::string root;

  [[nodiscard]] const std::string& parent() const {
    static const std::string none;
    return stack.size() >= 2 ? stack[stack.size() - 2] : none;
  }
};

void on_start(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* p = static_cast<Parse*>(data);
  p->stack.emplace_back(name);
  if (p->stack.size() == 1) p->root = name;
  p->text.clear();
  const std::string& el = p->stack.back();
  if (el == k_dav_response) {
    p->response = DavResponse{};
  } else if (el == k_dav_propstat) {
    p->propstat_props.clear();
    p->propstat_status = 0;
  } else if (p->prop_name.empty() && p->parent() == k_dav_prop) {
    p->prop_name = el;
    p->prop_depth = p->stack.size();
    p->propstat_props[el];
  } else if (!p->prop_name.empty() && p->stack.size() == p->prop_depth + 1) {
    PropValue& v = p->propstat_props[p->prop_name];
    v.children.push_back(el);
    for (const XML_Char** a = attrs; a[0] != nullptr; a += 2) {
      if (std::string(a[0]) == "name") v.names.emplace_back(a[1]);
    }
  }
}

void on_end(void* data, const XML_Char* /*name*/) {
  auto* p = static_cast<Parse*>(data);
  const std::string el = p->stack.back();
  const std::string parent = p->parent();
  if (!p->prop_name.empty()) {
    PropValue& v = p->propstat_props[p->prop_name];
    if (el == k_dav_href) v.hrefs.push_back(p->text);
    if (p->stack.size() == p->prop_depth) {
      v.text = p->text;
      p->prop_name.clear();
    }
  } else if (el == k_dav_href && parent == k_dav_response) {
    p->response.href = p->text;
  } else if (el == k_dav_status && parent == k_dav_response) {
    p->response.status = parse_status_line(p->text);
  } else if (el == k_dav_status && parent == k_dav_propstat) {
    p->propstat_status = parse_status_line(p->text);
  } else if (el == k_dav_propstat) {
    if (p->propstat_status >= 200 && p->propstat_status < 300) {
      for (auto& [k, v] : p->propstat_props) p->response.props[k] = std::move(v);
    }
  } else if (el == k_dav_response) {
    p->out.responses.push_back(std::move(p->response));
  } else if (el == k_dav_sync_token && parent == k_dav_multistatus) {
    p->out.sync_token = p->text;
  }
  p->stack.pop_back();
  // Text inside a property keeps accumulating (calendar-data may arrive in many pieces); other
  // elements start afresh.
  if (p->prop_name.empty()) p->text.clear();
}

void on_text(void* data, const XML_Char* s, int len) {
  static_cast<Parse*>(data)->text.append(s, static_cast<std::size_t>(len));
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

int parse_status_line(std::string_view line) {
  const std::string t = trim(line);
  const auto sp = t.find(' ');
  if (sp == std::string::npos || t.size() < sp + 4) return 0;
  int code = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (t[i] < '0' || t[i] > '9') return 0;
    code = code * 10 + (t[i] - '0');
  }
  return code;
}

Result<MultiStatus> parse_multistatus(std::string_view xml) {
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreateNS(nullptr, ' '),
                                                                     &XML_ParserFree);
  if (!parser) return error(ErrorCode::internal, "cannot create an XML parser");
  Parse p;
  XML_SetUserData(parser.get(), &p);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  if (xml.size() > static_cast<std::size_t>(INT32_MAX)) return error(ErrorCode::invalid, "multistatus too large");
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_ERROR) {
    return error(ErrorCode::invalid,
                 "multistatus XML line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ", column " +
                     std::to_string(XML_GetCurrentColumnNumber(parser.get())) + ": " +
                     XML_ErrorString(XML_GetErrorCode(parser.get())));
  }
  if (p.root != k_dav_multistatus) {
    return error(ErrorCode::invalid, "not a DAV multistatus: the root element is \"" + p.root + "\"");
  }
  for (auto& r : p.out.responses) r.href = trim(r.href);
  p.out.sync_token = trim(p.out.sync_token);
  return std::move(p.out);
}

}  // namespace schakel::caldav
