#pragma once
// Runs the real SWV portal simulator (tests/fakes/referral-portal/portal.py) over TLS with a test
// CA made at test time (make_test_ca.sh), on 127.0.0.1 with port 0, and talks to its control port.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"

extern char** environ;

namespace schakel::test {

class PortalSim {
 public:
  static constexpr const char* k_client_id = "school-1";

  PortalSim(const std::filesystem::path& dir, const std::string& secret) : dir_(dir) {
    const std::string fake = std::string(SCHAKEL_SOURCE_DIR) + "/tests/fakes/referral-portal";
    const std::string ca = "sh '" + fake + "/make_test_ca.sh' '" + dir.string() + "'";
    if (std::system(ca.c_str()) != 0) throw std::runtime_error("cannot make the test CA: " + ca);
    std::ofstream(dir / "secret") << secret;
    std::vector<std::string> args = {"/usr/bin/python3", "-B", fake + "/portal.py",
                                     "--cert", (dir / "server.pem").string(), "--key", (dir / "server.key").string(),
                                     "--client-id", k_client_id, "--client-secret-file", (dir / "secret").string()};
    start(args);
    http::ClientOptions o;
    o.allow_plain_http = true;
    o.proxy = "";
    o.read_timeout = http::Milliseconds{10'000};
    auto c = http::Client::create(std::move(o));
    if (!c) throw std::runtime_error(c.status().message());
    control_ = std::move(*c);
  }
  ~PortalSim() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  PortalSim(const PortalSim&) = delete;
  PortalSim& operator=(const PortalSim&) = delete;

  [[nodiscard]] std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  [[nodiscard]] int port() const { return port_; }

  // One control call; throws unless the simulator answers 2xx.
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
  nlohmann::json get(const std::string& path) { return control("GET", path); }
  nlohmann::json post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) {
    return control("POST", path, body);
  }

  // What the API port received, oldest first, token requests left out.
  std::vector<nlohmann::json> api_requests() {
    std::vector<nlohmann::json> out;
    const nlohmann::json all = get("/requests");  // named: a temporary would die before the loop
    for (const auto& r : all["requests"]) {
      if (r["path"] != "/oauth/token") out.push_back(r);
    }
    return out;
  }

  // The simulator's stderr log (one line per request; never bodies or secrets).
  [[nodiscard]] std::string log() const {
    std::ifstream in(dir_ / "portal.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void start(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const std::string log = (dir_ / "portal.log").string();
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_fd_ = fds[0];
    if (rc != 0) throw std::runtime_error("cannot start the portal simulator");
    // The simulator prints {"port": N, "control_port": M} once both ports listen: wait for it.
    std::string line;
    pollfd p{out_fd_, POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&p, 1, 30'000) > 0) {
      char buf[256];
      const ssize_t got = read(out_fd_, buf, sizeof buf);
      if (got <= 0) break;
      line.append(buf, static_cast<std::size_t>(got));
    }
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("port"))
      throw std::runtime_error("portal simulator did not start: '" + line + "' " + this->log());
    port_ = j["port"].get<int>();
    control_port_ = j["control_port"].get<int>();
  }

  std::filesystem::path dir_;
  pid_t pid_ = 0;
  int out_fd_ = -1;
  int port_ = 0;
  int control_port_ = 0;
  std::unique_ptr<http::Client> control_;
};

}  // namespace schakel::test
