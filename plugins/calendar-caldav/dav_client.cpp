#include "dav_client.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace schakel::caldav {
namespace {

constexpr const char* k_xml_head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string last_segment(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status unexpected(const http::Response& r, const std::string& what) {
  const std::string msg = what + ": HTTP " + std::to_string(r.status) + " from " + r.url;
  return error(is_transient_status(r.status) ? ErrorCode::unavailable : ErrorCode::invalid, msg);
}

}  // namespace

bool is_transient_status(int status) { return http::classify_status(status) == http::Outcome::transient; }

DavClient::DavClient(DavOptions options, std::unique_ptr<http::Client> client)
    : options_(std::move(options)), client_(std::move(client)) {
  const auto scheme_end = options_.base_url.find("://");
  const auto path_start = options_.base_url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  origin_ = options_.base_url.substr(0, path_start);
  authorization_ = "Basic " + base64(options_.username + ":" + options_.password);
}

Result<std::unique_ptr<DavClient>> DavClient::create(DavOptions options) {
  auto client = http::Client::create(options.http);
  if (!client) return client.status();
  return std::unique_ptr<DavClient>(new DavClient(std::move(options), std::move(*client)));
}

std::string DavClient::absolute(const std::string& href) const {
  if (href.rfind("http://", 0) == 0 || href.rfind("https://", 0) == 0) return href;
  return origin_ + (href.empty() || href[0] != '/' ? "/" : "") + href;
}

std::string DavClient::path_of(const std::string& url) const {
  return url.rfind(origin_, 0) == 0 ? url.substr(origin_.size()) : url;
}

Result<http::Response> DavClient::send(const std::string& method, const std::string& url,
                                       std::vector<http::Header> headers, std::string body) {
  headers.push_back({"Authorization", authorization_});
  http::Request req{method, url, std::move(headers), std::move(body)};
  auto res = client_->send(req);
  if (!res) return res.status();
  if (res->status == 401) {
    // The credentials are the connector's, so this is not about one document. (A 403 is left to
    // the caller: RFC 6578 uses it for an expired sync token.)
    return error(ErrorCode::denied, method + " " + res->url + ": HTTP " + std::to_string(res->status) +
                                        ": the server refused the credentials of user " + options_.username);
  }
  return res;
}

Result<MultiStatus> DavClient::propfind(const std::string& url, int depth, const std::string& props) {
  std::string body = std::string(k_xml_head) +
                     "<d:propfind xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" "
                     "xmlns:cs=\"http://calendarserver.org/ns/\"><d:prop>" + props +
                     "</d:prop></d:propfind>";
  auto res = send("PROPFIND", url,
                  {{"Depth", std::to_string(depth)}, {"Content-Type", "application/xml; charset=utf-8"}},
                  std::move(body));
  if (!res) return res.status();
  if (res->status != 207) return unexpected(*res, "PROPFIND");
  auto ms = parse_multistatus(res->body);
  if (!ms) return ms.status().with_context("PROPFIND " + res->url);
  return ms;
}

Result<std::string> DavClient::discover(const std::string& calendar) {
  auto root = propfind(options_.base_url, 0, "<d:current-user-principal/>");
  if (!root) return root.status();
  std::string principal = options_.base_url;
  for (const auto& r : root->responses) {
    if (const auto* p = r.prop(k_current_user_principal); p && !p->hrefs.empty()) principal = absolute(p->hrefs[0]);
  }
  auto home_ms = propfind(principal, 0, "<c:calendar-home-set/>");
  if (!home_ms) return home_ms.status();
  std::string home;
  for (const auto& r : home_ms->responses) {
    if (const auto* p = r.prop(k_calendar_home_set); p && !p->hrefs.empty()) home = absolute(p->hrefs[0]);
  }
  if (home.empty()) return error(ErrorCode::invalid, principal + " names no calendar-home-set: is this a CalDAV server?");
  auto list = propfind(home, 1, "<d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>");
  if (!list) return list.status();
  for (const auto& r : list->responses) {
    const auto* type = r.prop(k_resourcetype);
    if (type == nullptr || std::find(type->children.begin(), type->children.end(), k_calendar_type) == type->children.end()) {
      continue;
    }
    if (!calendar.empty()) {
      const auto* name = r.prop(k_displayname);
      if ((name != nullptr && name->text == calendar) || last_segment(r.href) == calendar) return absolute(r.href);
      continue;
    }
    const auto* comps = r.prop(k_supported_components);
    if (comps == nullptr || comps->names.empty() ||
        std::find(comps->names.begin(), comps->names.end(), "VEVENT") != comps->names.end()) {
      return absolute(r.href);
    }
  }
  return error(ErrorCode::not_found, "no calendar " + (calendar.empty() ? std::string("for events") : "\"" + calendar + "\"") +
                                         " in the calendar home " + home);
}

Result<Stored> DavClient::put(const std::string& url, const std::string& ics, const Precondition& pre) {
  std::vector<http::Header> headers{{"Content-Type", "text/calendar; charset=utf-8"}};
  if (pre.create_only) {
    headers.push_back({"If-None-Match", "*"});
  } else {
    headers.push_back({"If-Match", pre.if_match});
  }
  auto res = send("PUT", url, std::move(headers), ics);
  if (!res) return res.status();
  if (res->status >= 300 && res->status != 412 && res->status != 404) return unexpected(*res, "PUT");
  return Stored{res->status, res->header("ETag").value_or("")};
}

Result<Fetched> DavClient::get(const std::string& url) {
  auto res = send("GET", url, {{"Accept", "text/calendar"}});
  if (!res) return res.status();
  if (res->status == 404) return Fetched{404, {}, {}};
  if (res->status != 200) return unexpected(*res, "GET");
  return Fetched{200, res->body, res->header("ETag").value_or("")};
}

Result<MultiStatus> DavClient::multiget(const std::string& collection, const std::vector<std::string>& hrefs) {
  std::string body = std::string(k_xml_head) +
                     "<c:calendar-multiget xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
                     "<d:prop><d:getetag/><c:calendar-data/></d:prop>";
  for (const auto& h : hrefs) body += "<d:href>" + xml_escape(h) + "</d:href>";
  body += "</c:calendar-multiget>";
  auto res = send("REPORT", collection, {{"Depth", "1"}, {"Content-Type", "application/xml; charset=utf-8"}},
                  std::move(body));
  if (!res) return res.status();
  if (res->status != 207) return unexpected(*res, "calendar-multiget REPORT");
  auto ms = parse_multistatus(res->body);
  if (!ms) return ms.status().with_context("calendar-multiget " + res->url);
  return ms;
}

}  // namespace schakel::caldav
