// sync-collection (RFC 6578) and its fallback, a PROPFIND of the ETags.
#include "dav_client.hpp"

namespace schakel::caldav {
namespace {

std::string xml_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else out += c;
  }
  return out;
}

}  // namespace

Result<SyncAnswer> sync_collection(DavClient& dav, const std::string& collection, const std::string& token) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<d:sync-collection xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
      "<d:sync-token>" + xml_text(token) + "</d:sync-token><d:sync-level>1</d:sync-level>"
      "<d:prop><d:getetag/><c:calendar-data/></d:prop></d:sync-collection>";
  auto res = dav.send("REPORT", collection, {{"Depth", "1"}, {"Content-Type", "application/xml; charset=utf-8"}}, body);
  if (!res) {
    // A 403 here is either an expired token (with the DAV:valid-sync-token precondition) or a
    // refusal of the report; the credentials were already accepted by discovery.
    return res.status();
  }
  SyncAnswer out;
  if (res->status == 207) {
    auto ms = parse_multistatus(res->body);
    if (!ms) return ms.status().with_context("sync-collection " + res->url);
    out.changes = std::move(*ms);
    return out;
  }
  if ((res->status == 403 || res->status == 409) && res->body.find("valid-sync-token") != std::string::npos) {
    out.kind = SyncAnswer::Kind::token_invalid;
    return out;
  }
  if (res->status == 400 || res->status == 403 || res->status == 405 || res->status == 415 || res->status == 501) {
    out.kind = SyncAnswer::Kind::unsupported;
    return out;
  }
  return error(is_transient_status(res->status) ? ErrorCode::unavailable : ErrorCode::invalid,
               "sync-collection REPORT: HTTP " + std::to_string(res->status) + " from " + res->url);
}

Result<MultiStatus> list_etags(DavClient& dav, const std::string& collection) {
  return dav.propfind(collection, 1, "<d:getetag/>");
}

Result<std::optional<std::string>> collection_ctag(DavClient& dav, const std::string& collection) {
  auto ms = dav.propfind(collection, 0, "<cs:getctag/>");
  if (!ms) {
    const ErrorCode code = ms.status().code();
    if (code == ErrorCode::unavailable || code == ErrorCode::denied) return ms.status();
    return std::optional<std::string>{};
  }
  for (const auto& r : ms->responses) {
    if (const auto* t = r.prop(k_getctag); t != nullptr && !t->text.empty()) return std::optional<std::string>{t->text};
  }
  return std::optional<std::string>{};
}

}  // namespace schakel::caldav
