// poll blocks: it reads from the file descriptor given as {"wait_fd": n} until the writer
// closes it (so a test can release it), or forever without one.
#include <unistd.h>

#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Outcome;

class HangPoll final : public schakel::plugin::Plugin {
 public:
  HangPoll(schakel::plugin::Host host, const std::string& config) : host_(host) {
    const auto at = config.find("\"wait_fd\":");
    if (at != std::string::npos) fd_ = std::stoi(config.substr(at + 10));
  }
  Outcome poll() override {
    host_.info("poll blocks");
    if (fd_ < 0) {
      for (;;) ::pause();
    }
    char c = 0;
    while (::read(fd_, &c, 1) > 0) {
    }
    return Outcome::ok();
  }

 private:
  schakel::plugin::Host host_;
  int fd_ = -1;
};

}  // namespace

SCHAKEL_PLUGIN(HangPoll, "hang-poll", "0.0.1", R"json({
  "kind": "source",
  "streams": {"nothing": {"schema": {"type": "object"}}},
  "config_schema": {"type": "object", "properties": {"wait_fd": {"type": "integer"}},
                    "additionalProperties": false}
})json", false)
