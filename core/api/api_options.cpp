#include "api/api_options.hpp"

#include <boost/asio/ip/address.hpp>

#include "api/tls.hpp"
#include "config/config.hpp"
#include "log/log.hpp"

namespace schakel::api {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Status parse_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return {ErrorCode::invalid, "api.listen: '" + listen + "' is not host:port"};
  }
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) > 65535) {
    return {ErrorCode::invalid, "api.listen: port '" + p + "' is not a number from 0 to 65535"};
  }
  port = static_cast<std::uint16_t>(std::stoi(p));
  return Status::ok();
}

Status check_transport(const ApiOptions& o) {
  if (o.tls) {
    if (o.cert_file.empty() || o.key_file.empty()) {
      return {ErrorCode::invalid, "api.tls: cert_file and key_file are required for HTTPS"};
    }
    return Status::ok();
  }
  if (!is_loopback_host(o.host)) {
    return {ErrorCode::invalid, "api: plain HTTP is refused on " + o.host +
                                    ": it is allowed only on a loopback address; configure api.tls"};
  }
  if (!o.allow_plain_http_on_loopback) {
    return {ErrorCode::invalid, "api: plain HTTP on " + o.host +
                                    " needs api.allow_plain_http_on_loopback: true; otherwise configure api.tls"};
  }
  return Status::ok();
}

Result<ApiOptions> api_options_from_config(const config::Config& config, const Clock& clock) {
  ApiOptions o;
  const nlohmann::json api = config.doc.value("api", nlohmann::json::object());
  SCHAKEL_TRY(parse_listen(api.value("listen", std::string("127.0.0.1:8443")), o.host, o.port));
  o.allow_plain_http_on_loopback = api.value("allow_plain_http_on_loopback", false);
  o.header_limit_bytes = api.value("header_limit_bytes", o.header_limit_bytes);
  o.body_limit_bytes = api.value("body_limit_bytes", o.body_limit_bytes);
  o.read_timeout = std::chrono::milliseconds(api.value("read_timeout_ms", o.read_timeout.count()));
  o.idle_timeout = std::chrono::milliseconds(api.value("idle_timeout_ms", o.idle_timeout.count()));
  o.write_timeout = std::chrono::milliseconds(api.value("write_timeout_ms", o.write_timeout.count()));
  o.handshake_timeout = std::chrono::milliseconds(api.value("handshake_timeout_ms", o.handshake_timeout.count()));
  o.max_connections_per_client = api.value("max_connections_per_client", o.max_connections_per_client);

  const nlohmann::json tls = api.value("tls", nlohmann::json::object());
  if (tls.contains("cert_file") || tls.contains("key_file")) {
    if (!tls.contains("cert_file") || !tls.contains("key_file")) {
      return Status(ErrorCode::invalid, "api.tls: give both cert_file and key_file");
    }
    o.tls = true;
    o.cert_file = config.resolve_path(tls["cert_file"].get<std::string>());
    o.key_file = config.resolve_path(tls["key_file"].get<std::string>());
  } else if (o.allow_plain_http_on_loopback && is_loopback_host(o.host)) {
    o.tls = false;
  } else if (config.demo()) {
    auto files = ensure_self_signed(config.data_dir() / "tls", clock);
    if (!files) return files.status();
    log::warn("api: using a self-signed demo certificate; configure api.tls for real use",
              {{"cert_file", files->cert_file.string()}});
    o.tls = true;
    o.cert_file = files->cert_file;
    o.key_file = files->key_file;
  } else {
    o.tls = !o.allow_plain_http_on_loopback;
  }
  SCHAKEL_TRY(check_transport(o));
  return o;
}

}  // namespace schakel::api
