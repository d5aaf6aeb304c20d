#pragma once
// Runs the fakes in tests/fakes as child processes. FakeProcess starts one and waits for the first
// line it prints (its ports, once it listens); HttpsFake runs tests/fakes/https_echo.py: a test
// PKI made at test time with openssl, and a scriptable HTTPS server (or CONNECT proxy) on
// 127.0.0.1, port 0. Each is stopped when the object goes away.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace schakel::test {

// A fake server as a child process: stdout on a pipe, stderr to `stderr_log` (inherited when
// empty). The fake prints one line once it listens; the constructor waits for it (an event, not a
// sleep) and keeps it in first_line(). Destruction sends `stop_signal` and reaps the child.
class FakeProcess {
 public:
  FakeProcess(const std::vector<std::string>& args, const std::string& name, const std::filesystem::path& stderr_log = {},
              int stop_signal = SIGKILL)
      : stop_signal_(stop_signal) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const std::string log = stderr_log.string();
    if (!log.empty()) {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args.at(0).c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      pid_ = 0;
      throw std::runtime_error("cannot start " + name);
    }
    pollfd p{fds[0], POLLIN, 0};
    while (first_line_.find('\n') == std::string::npos && poll(&p, 1, 30'000) > 0) {
      char buf[256];
      const ssize_t got = read(fds[0], buf, sizeof buf);
      if (got <= 0) break;
      first_line_.append(buf, static_cast<std::size_t>(got));
    }
    // Kept open until the end: a fake that writes to stdout again must not die of SIGPIPE.
    out_fd_ = fds[0];
  }
  ~FakeProcess() {
    if (pid_ > 0) {
      kill(pid_, stop_signal_);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;

  [[nodiscard]] const std::string& first_line() const { return first_line_; }

 private:
  pid_t pid_ = 0;
  int out_fd_ = -1;
  int stop_signal_;
  std::string first_line_;
};

inline std::string https_echo_script() { return std::string(SCHAKEL_SOURCE_DIR) + "/tests/fakes/https_echo.py"; }

// Writes ca.pem, good/wronghost/expired/client .pem + .key and other-ca.pem into `dir`.
inline void make_test_pki(const std::filesystem::path& dir) {
  const std::string cmd = "python3 '" + https_echo_script() + "' pki '" + dir.string() + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot generate the test PKI: " + cmd);
}

class HttpsFake {
 public:
  struct Options {
    std::string cert = "good";  // good | wronghost | expired (files in the PKI directory)
    bool plain = false;         // plain HTTP instead of TLS
    bool proxy = false;         // a CONNECT proxy instead of a server
    bool tls_1_1_only = false;  // a server that speaks only TLS 1.0 and 1.1
    bool require_client_cert = false;
    nlohmann::json script = nlohmann::json::object();  // path (or "*") -> list of steps
  };

  HttpsFake(const std::filesystem::path& pki, const std::filesystem::path& work, Options options) {
    static std::atomic<int> counter{0};
    const std::string n = std::to_string(counter++);
    const auto script = work / ("script-" + n + ".json");
    record_ = work / ("record-" + n + ".jsonl");
    std::ofstream(script) << options.script.dump();
    std::vector<std::string> args = {"python3", https_echo_script(), "serve", "--script", script.string(),
                                     "--record", record_.string()};
    if (options.proxy) {
      args.emplace_back("--proxy");
    } else if (options.plain) {
      args.emplace_back("--plain");
    } else {
      args.insert(args.end(), {"--cert", (pki / (options.cert + ".pem")).string(), "--key",
                               (pki / (options.cert + ".key")).string()});
      if (options.tls_1_1_only) args.insert(args.end(), {"--tls-max", "1.1"});
      if (options.require_client_cert) args.insert(args.end(), {"--client-ca", (pki / "ca.pem").string()});
    }
    start(args);
  }
  HttpsFake(const HttpsFake&) = delete;
  HttpsFake& operator=(const HttpsFake&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return std::string(plain_ ? "http://" : "https://") + host + ":" + std::to_string(port_) + path;
  }
  // Waits until the server has recorded at least `n` entries, for what it writes after the client
  // is done (a refused handshake). Woken by file changes (inotify), not by polling on a timer.
  std::vector<nlohmann::json> wait_for_records(std::size_t n, int timeout_ms = 10'000) const {
    const int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) throw std::runtime_error("inotify_init1 failed");
    inotify_add_watch(fd, record_.parent_path().c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE);
    auto out = records();
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char events[4096];
      while (read(fd, events, sizeof events) > 0) {
      }
      out = records();
    }
    close(fd);
    return out;
  }

  // What the server received so far, one JSON object per request (or failed handshake).
  [[nodiscard]] std::vector<nlohmann::json> records() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(record_);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }

 private:
  void start(const std::vector<std::string>& args) {
    plain_ = std::find(args.begin(), args.end(), "--plain") != args.end() ||
             std::find(args.begin(), args.end(), "--proxy") != args.end();
    // The server prints "PORT <n>" once it listens.
    process_ = std::make_unique<FakeProcess>(args, https_echo_script());
    const std::string& line = process_->first_line();
    if (line.rfind("PORT ", 0) != 0) throw std::runtime_error("test server did not start: '" + line + "'");
    port_ = std::stoi(line.substr(5));
  }

  std::unique_ptr<FakeProcess> process_;
  int port_ = 0;
  bool plain_ = false;
  std::filesystem::path record_;
};

}  // namespace schakel::test
