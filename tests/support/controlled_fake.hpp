#pragma once
// A fake of an external HTTPS service with a plain-HTTP control port (the SWV portal simulator,
// the OneRoster server in tests/fakes): a test CA made at test time (the referral-portal fake's
// make_test_ca.sh), the API on TLS at 127.0.0.1 with port 0, a client id and secret, stderr to a
// log file, stopped with SIGTERM. The fake prints {"port": N, "control_port": M} once it listens.
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "https_fake.hpp"

namespace schakel::test {

class ControlledFake {
 public:
  struct Options {
    std::string name;       // for errors: "the portal simulator"
    std::string script;     // below tests/fakes, e.g. "referral-portal/portal.py"
    std::string client_id;  // the OAuth client the fake accepts, with `secret`
    std::string secret;
    std::string log_name;   // the fake's stderr, in the directory
    std::optional<http::Milliseconds> control_read_timeout;
  };

  ControlledFake(const std::filesystem::path& dir, const Options& options) : dir_(dir), log_file_(dir / options.log_name) {
    const std::string fakes = std::string(SCHAKEL_SOURCE_DIR) + "/tests/fakes/";
    const std::string ca = "sh '" + fakes + "referral-portal/make_test_ca.sh' '" + dir.string() + "'";
    if (std::system(ca.c_str()) != 0) throw std::runtime_error("cannot make the test CA: " + ca);
    std::ofstream(dir / "secret") << options.secret;
    process_ = std::make_unique<FakeProcess>(
        std::vector<std::string>{"/usr/bin/python3", "-B", fakes + options.script, "--cert", (dir / "server.pem").string(),
                                 "--key", (dir / "server.key").string(), "--client-id", options.client_id,
                                 "--client-secret-file", (dir / "secret").string()},
        options.name, log_file_, SIGTERM);
    const auto j = nlohmann::json::parse(process_->first_line(), nullptr, false);
    if (!j.is_object() || !j.contains("port"))
      throw std::runtime_error(options.name + " did not start: '" + process_->first_line() + "' " + log());
    port_ = j["port"].get<int>();
    control_port_ = j["control_port"].get<int>();
    http::ClientOptions o;
    o.allow_plain_http = true;
    o.proxy = "";
    if (options.control_read_timeout) o.read_timeout = *options.control_read_timeout;
    auto c = http::Client::create(std::move(o));
    if (!c) throw std::runtime_error(c.status().message());
    control_ = std::move(*c);
  }

  [[nodiscard]] std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  [[nodiscard]] int port() const { return port_; }

  // One control call; throws unless the fake answers 2xx.
  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json()) {
    http::Request req{method, "http://127.0.0.1:" + std::to_string(control_port_) + path, {}, {}};
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.push_back({"Content-Type", "application/json"});
    }
    auto res = control_->send(req);
    if (!res) throw std::runtime_error("control " + path + ": " + res.status().message());
    if (res->status / 100 != 2)
      throw std::runtime_error("control " + path + ": HTTP " + std::to_string(res->status) + " " + res->body);
    return nlohmann::json::parse(res->body);
  }

  // The fake's stderr log (one line per request; never bodies or secrets).
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::filesystem::path dir_;
  std::filesystem::path log_file_;
  std::unique_ptr<FakeProcess> process_;
  int port_ = 0;
  int control_port_ = 0;
  std::unique_ptr<http::Client> control_;
};

}  // namespace schakel::test
