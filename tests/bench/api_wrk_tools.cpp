#include "api_wrk_tools.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace schakel::bench {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// "1.23ms", "850.00us", "1.02s" → milliseconds.
double to_ms(double value, const std::string& unit) {
  if (unit == "us") return value / 1000.0;
  if (unit == "s") return value * 1000.0;
  if (unit == "m") return value * 60'000.0;
  return value;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool wait_for_port(std::uint16_t port, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    const bool up = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (fd >= 0) ::close(fd);
    if (up) return true;
    // Polling a port another process is opening: there is no event to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::optional<PlainResponse> plain_get(std::uint16_t port, const std::string& target,
                                       const std::vector<std::string>& headers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a = loopback(port);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "\r\n";
  std::string raw;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[16384];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
  PlainResponse r;
  r.status = std::stoi(raw.substr(9, 3));
  r.body = raw.substr(head_end + 4);  // Connection: close, so the body runs to the end
  return r;
}

WrkResult run_wrk(const std::string& url, const WrkOptions& o) {
  std::vector<std::string> argv = {"/usr/bin/wrk", "-t" + std::to_string(o.threads), "-c" + std::to_string(o.connections),
                                   "-d" + std::to_string(o.seconds) + "s", "--timeout", "10s", "--latency"};
  for (const auto& h : o.headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  argv.push_back(url);
  test::ChildProcess wrk(argv);
  WrkResult r;
  (void)wrk.wait_exit(std::chrono::seconds(o.seconds + 30));
  while (wrk.read_line(std::chrono::milliseconds(200))) {
  }
  r.output = wrk.all_output();
  std::smatch m;
  static const std::regex rps(R"(Requests/sec:\s+([0-9.]+))");
  static const std::regex p99(R"(\n\s+99%\s+([0-9.]+)(us|ms|s|m)\b)");
  static const std::regex total(R"((\d+) requests in)");
  static const std::regex non2xx(R"(Non-2xx or 3xx responses: (\d+))");
  static const std::regex sock(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
  if (std::regex_search(r.output, m, rps)) r.requests_per_second = std::stod(m[1]);
  if (std::regex_search(r.output, m, p99)) r.p99_ms = to_ms(std::stod(m[1]), m[2]);
  if (std::regex_search(r.output, m, total)) r.requests = std::stol(m[1]);
  if (std::regex_search(r.output, m, non2xx)) r.bad += std::stol(m[1]);
  if (std::regex_search(r.output, m, sock)) {
    for (int i = 1; i <= 4; ++i) r.bad += std::stol(m[i]);
  }
  r.ok = r.requests > 0 && r.requests_per_second > 0;
  return r;
}

Nginx::Nginx(const std::filesystem::path& dir, const std::filesystem::path& www, const std::filesystem::path& cert,
             const std::filesystem::path& key)
    : dir_(dir) {
  std::filesystem::create_directories(dir / "tmp");
  plain_port_ = free_loopback_port();
  tls_port_ = free_loopback_port();
  const std::string d = dir.string();
  // Same TLS policy as schakeld (TLS 1.2/1.3, ECDHE + AEAD), keep-alive without a request cap,
  // no access log: the fastest honest static server to compare with.
  std::ofstream(dir / "nginx.conf")
      << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d << "/nginx.pid;\n"
      << "error_log " << d << "/error.log warn;\n"
      << "events { worker_connections 1024; }\n"
      << "http {\n  access_log off;\n  default_type application/json;\n  types { }\n"
      << "  keepalive_requests 100000000;\n  keepalive_timeout 60s;\n"
      << "  client_body_temp_path " << d << "/tmp/body;\n  proxy_temp_path " << d << "/tmp/proxy;\n"
      << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
      << "  scgi_temp_path " << d << "/tmp/scgi;\n"
      << "  server { listen 127.0.0.1:" << plain_port_ << "; root " << www.string() << "; }\n"
      << "  server { listen 127.0.0.1:" << tls_port_ << " ssl; root " << www.string() << ";\n"
      << "    ssl_certificate " << cert.string() << "; ssl_certificate_key " << key.string() << ";\n"
      << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
      << "    ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
         "ECDHE-RSA-AES128-GCM-SHA256;\n  }\n}\n";
  process_ = std::make_unique<test::ChildProcess>(std::vector<std::string>{
      "/usr/sbin/nginx", "-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"});
  if (!wait_for_port(plain_port_, 10'000) || !wait_for_port(tls_port_, 10'000)) {
    error_ = "nginx did not start: " + process_->all_output() + read_file(dir / "error.log");
  }
}

Nginx::~Nginx() {
  if (!process_) return;
  process_->signal(SIGQUIT);  // graceful; the ChildProcess destructor kills it if it lingers
  (void)process_->wait_exit(std::chrono::seconds(5));
}

}  // namespace schakel::bench
