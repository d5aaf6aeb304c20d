// URL handling for the HTTPS client: targets, proxies from the environment, redirects.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <openssl/evp.h>

#include "http/detail.hpp"

namespace schakel::http::detail {

namespace urls = boost::urls;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* env(const char* upper, const char* lower_name) {
  const char* v = std::getenv(upper);
  if (v == nullptr || *v == '\0') v = std::getenv(lower_name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

bool is_loopback(const Target& t) {
  return t.host == "localhost" || t.host == "::1" || t.host.rfind("127.", 0) == 0;
}

// NO_PROXY: comma-separated host names or suffixes (".example.org" or "example.org"), or "*".
bool excluded_by_no_proxy(const std::string& host) {
  const char* list = env("NO_PROXY", "no_proxy");
  if (list == nullptr) return false;
  std::string all = list;
  std::size_t pos = 0;
  while (pos <= all.size()) {
    std::size_t comma = all.find(',', pos);
    std::string entry = lower(all.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    entry.erase(std::remove(entry.begin(), entry.end(), ' '), entry.end());
    if (entry == "*") return true;
    if (!entry.empty()) {
      if (entry.front() == '.') entry.erase(0, 1);
      const std::string h = lower(host);
      if (h == entry || (h.size() > entry.size() && h.ends_with("." + entry))) return true;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

Result<Target> parse_target(const std::string& url, bool allow_plain_http) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) return error(ErrorCode::invalid, "not a valid URL: '" + url + "'");
  const urls::url_view& u = *parsed;
  Target t;
  if (u.scheme_id() == urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() == urls::scheme::http) {
    if (!allow_plain_http) {
      return error(ErrorCode::invalid, "plain http is not allowed (use https): " + url);
    }
    t.tls = false;
  } else {
    return error(ErrorCode::invalid, "URL scheme must be https: '" + url + "'");
  }
  switch (u.host_type()) {
    case urls::host_type::name: t.host = u.host(); break;
    case urls::host_type::ipv4:
    case urls::host_type::ipv6: t.host = u.host_address(); t.ip_literal = true; break;
    default: return error(ErrorCode::invalid, "URL has no usable host: '" + url + "'");
  }
  if (t.host.empty()) return error(ErrorCode::invalid, "URL has no host: '" + url + "'");
  if (u.has_userinfo()) t.user_info = u.userinfo();
  const std::uint16_t default_port = t.tls ? 443 : 80;
  t.port = u.has_port() ? u.port_number() : default_port;
  if (t.port == 0) return error(ErrorCode::invalid, "URL has no usable port: '" + url + "'");
  const std::string bracketed = u.host_type() == urls::host_type::ipv6 ? "[" + t.host + "]" : t.host;
  t.host_port = t.port == default_port ? bracketed : bracketed + ":" + std::to_string(t.port);
  t.target = u.encoded_target();
  if (t.target.empty()) t.target = "/";
  t.display = std::string(t.tls ? "https://" : "http://") + bracketed + ":" + std::to_string(t.port) +
              std::string(u.encoded_path().empty() ? "/" : std::string(u.encoded_path()));
  return t;
}

Result<std::optional<Target>> proxy_for(const ClientOptions& options, const Target& t) {
  std::string proxy_url;
  if (options.proxy) {
    proxy_url = *options.proxy;
  } else {
    // Loopback never goes through an environment proxy: tests and local peers talk directly.
    if (!t.tls || is_loopback(t) || excluded_by_no_proxy(t.host)) return std::optional<Target>{};
    const char* v = env("HTTPS_PROXY", "https_proxy");
    if (v != nullptr) proxy_url = v;
  }
  if (proxy_url.empty()) return std::optional<Target>{};
  if (proxy_url.find("://") == std::string::npos) proxy_url = "http://" + proxy_url;
  auto p = parse_target(proxy_url, true);
  if (!p) return p.status().with_context("proxy");
  if (p->tls) return error(ErrorCode::invalid, "proxy: only http:// CONNECT proxies are supported: " + p->display);
  return std::optional<Target>{std::move(*p)};
}

std::string resolve_location(const std::string& base, const std::string& location) {
  auto b = urls::parse_uri(base);
  auto r = urls::parse_uri_reference(location);
  if (!b || !r) return {};
  urls::url dest;
  if (!urls::resolve(*b, *r, dest)) return {};
  dest.remove_fragment();
  return std::string(dest.buffer());
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Deadline::Budget Deadline::next(Milliseconds step, const char* step_name) const {
  const auto left = end_ - SteadyClock::now();
  if (left < step) {
    return {std::max(left, SteadyClock::duration::zero()),
            "total timeout of " + std::to_string(total_.count()) + " ms"};
  }
  return {step, std::string(step_name) + " timeout of " + std::to_string(step.count()) + " ms"};
}

}  // namespace schakel::http::detail
