#include "radicale.hpp"

#include <signal.h>

#include <fstream>
#include <regex>
#include <stdexcept>

#include <openssl/evp.h>

namespace schakel::test {
namespace {

std::string basic(const std::string& user, const std::string& password) {
  const std::string in = user + ":" + password;
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

}  // namespace

Radicale::Radicale(std::map<std::string, std::string> users) : users_(std::move(users)) {
  const auto root = dir_.path();
  {
    std::ofstream f(root / "users");
    for (const auto& [u, p] : users_) f << u << ':' << p << '\n';
  }
  {
    std::ofstream f(root / "config");
    f << "[server]\nhosts = 127.0.0.1:0\n"
      << "[auth]\ntype = htpasswd\nhtpasswd_filename = " << (root / "users").string()
      << "\nhtpasswd_encryption = plain\n"
      << "[storage]\nfilesystem_folder = " << (root / "collections").string() << "\n"
      << "[rights]\ntype = owner_only\n"
      << "[logging]\nlevel = info\nmask_passwords = True\n";
  }
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/radicale", "--config", (root / "config").string()});
  // "Listening on '[127.0.0.1]:40123'", then "Radicale server ready".
  const auto listening = process_->wait_for("Listening on", std::chrono::seconds(30));
  std::smatch m;
  if (!listening || !std::regex_search(*listening, m, std::regex(R"(\]:(\d+))"))) {
    throw std::runtime_error("radicale did not start:\n" + process_->all_output());
  }
  port_ = std::stoi(m[1]);
  if (!process_->wait_for("Radicale server ready", std::chrono::seconds(30))) {
    throw std::runtime_error("radicale did not become ready:\n" + process_->all_output());
  }
  drain_ = std::thread([p = process_.get()] {
    while (p->read_line(std::chrono::hours(1))) {
    }
  });
  http::ClientOptions o;
  o.allow_plain_http = true;
  o.proxy = "";
  auto c = http::Client::create(o);
  if (!c) throw std::runtime_error(c.status().message());
  client_ = std::move(*c);
}

Radicale::~Radicale() {
  client_.reset();
  process_->signal(SIGTERM);
  if (drain_.joinable()) drain_.join();  // ends at EOF, when Radicale has exited
  process_->wait_exit(std::chrono::seconds(30));
}

std::string Radicale::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

Result<http::Response> Radicale::request(const std::string& user, const std::string& method, const std::string& path,
                                         const std::string& body, std::vector<http::Header> headers) {
  headers.push_back({"Authorization", basic(user, users_.at(user))});
  return client_->send({method, url(path), std::move(headers), body});
}

void Radicale::make_calendar(const std::string& user, const std::string& name) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><c:mkcalendar xmlns:d=\"DAV:\" "
      "xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:set><d:prop><d:displayname>" + name +
      "</d:displayname><c:supported-calendar-component-set><c:comp name=\"VEVENT\"/>"
      "</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>";
  auto r = request(user, "MKCALENDAR", "/" + user + "/" + name + "/", body);
  if (!r || r->status != 201) {
    throw std::runtime_error("MKCALENDAR /" + user + "/" + name + "/ failed: " +
                             (r ? std::to_string(r->status) + " " + r->body : r.status().message()));
  }
}

}  // namespace schakel::test
