#pragma once
// A real Radicale CalDAV server for tests: started on a free loopback port (port 0; the port is
// read from Radicale's own "Listening on" line, no sleeps), with plain htpasswd users and a
// temporary storage folder, and stopped (SIGTERM, then waited for) when the object goes.
// Its log is drained on a thread of its own so a busy server never blocks on a full pipe.
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "http/client.hpp"
#include "temp_dir.hpp"

namespace schakel::test {

class Radicale {
 public:
  // users: name -> password. Throws (start-up of a test) when Radicale does not come up.
  explicit Radicale(std::map<std::string, std::string> users);
  ~Radicale();
  Radicale(const Radicale&) = delete;
  Radicale& operator=(const Radicale&) = delete;

  [[nodiscard]] std::string url(const std::string& path = "/") const;
  [[nodiscard]] int port() const { return port_; }

  // A request as `user` straight to the server (what another calendar client would do).
  Result<http::Response> request(const std::string& user, const std::string& method, const std::string& path,
                                 const std::string& body = {}, std::vector<http::Header> headers = {});
  // Creates the calendar /<user>/<name>/ (MKCALENDAR) with that display name; throws on failure.
  void make_calendar(const std::string& user, const std::string& name);

 private:
  TempDir dir_;
  std::map<std::string, std::string> users_;
  std::unique_ptr<ChildProcess> process_;
  std::thread drain_;
  int port_ = 0;
  std::unique_ptr<http::Client> client_;
};

}  // namespace schakel::test
