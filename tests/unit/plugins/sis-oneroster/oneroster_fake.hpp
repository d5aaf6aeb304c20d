#pragma once
// Runs the fake OneRoster REST server (tests/fakes/oneroster/oneroster_fake.py) over TLS with a
// test CA made at test time (the referral-portal fake's make_test_ca.sh), on 127.0.0.1, port 0,
// and talks to its plain-HTTP control port. Stopped (SIGTERM, then reaped) when destroyed.
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

class OneRosterFake {
 public:
  static constexpr const char* k_client_id = "las-client";

  OneRosterFake(const std::filesystem::path& dir, const std::string& secret) : dir_(dir) {
    const std::string src = SCHAKEL_SOURCE_DIR;
    const std::string ca = "sh '" + src + "/tests/fakes/referral-portal/make_test_ca.sh' '" + dir.string() + "'";
    if (std::system(ca.c_str()) != 0) throw std::runtime_error("cannot make the test CA: " + ca);
    std::ofstream(dir / "secret") << secret;
    start({"/usr/bin/python3", "-B", src + "/tests/fakes/oneroster/oneroster_fake.py", "--cert",
           (dir / "server.pem").string(), "--key", (dir / "server.key").string(), "--client-id", k_client_id,
           "--client-secret-file", (dir / "secret").string()});
    http::ClientOptions o;
    o.allow_plain_http = true;
    o.proxy = "";
    auto c = http::Client::create(std::move(o));
    if (!c) throw std::runtime_error(c.status().message());
    control_ = std::move(*c);
  }
  ~OneRosterFake() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  OneRosterFake(const OneRosterFake&) = delete;
  OneRosterFake& operator=(const OneRosterFake&) = delete;

  [[nodiscard]] std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string base_url(const std::string& version) const {
    return origin() + (version == "1.1" ? "/ims/oneroster/v1p1" : "/ims/oneroster/rostering/v1p2");
  }
  [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.pem").string(); }

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
  void load(const std::filesystem::path& bundle, bool merge = false) {
    control("POST", "/load", {{"bundle", bundle.string()}, {"merge", merge}});
  }
  void faults(const nlohmann::json& script) { control("PUT", "/faults", {{"script", script}}); }
  // What the API port received (token requests included), oldest first.
  std::vector<nlohmann::json> requests() {
    const nlohmann::json all = control("GET", "/requests");
    return {all["requests"].begin(), all["requests"].end()};
  }
  [[nodiscard]] std::string log() const {
    std::ifstream in(dir_ / "fake.log");
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
    const std::string log = (dir_ / "fake.log").string();
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_fd_ = fds[0];
    if (rc != 0) throw std::runtime_error("cannot start the OneRoster fake");
    // The fake prints {"port": N, "control_port": M} once both ports listen: wait for that line.
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
      throw std::runtime_error("the OneRoster fake did not start: '" + line + "' " + log_text());
    port_ = j["port"].get<int>();
    control_port_ = j["control_port"].get<int>();
  }
  [[nodiscard]] std::string log_text() const { return log(); }

  std::filesystem::path dir_;
  pid_t pid_ = 0;
  int out_fd_ = -1;
  int port_ = 0;
  int control_port_ = 0;
  std::unique_ptr<http::Client> control_;
};

}  // namespace schakel::test
