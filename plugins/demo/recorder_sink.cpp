// A demo receiver: appends each delivery as one line {"key":..., "document":...} to a file and
// makes it durable (fdatasync) before answering ok, as a destination that stores what it gets.
// Tests read the file to check what arrived and how often; the plugin logs "recorded N" after
// each delivery, N counting every line in the file (also those of earlier runs).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Host;
using schakel::plugin::Outcome;

// {"file": "/abs/path", "fsync": bool}; validated by the host against the config schema.
std::string file_from(const std::string& config) {
  const auto at = config.find("\"file\"");
  if (at == std::string::npos) throw std::runtime_error("setting 'file' is missing");
  const auto open = config.find('"', config.find(':', at) + 1);
  const auto close = config.find('"', open + 1);
  return config.substr(open + 1, close - open - 1);
}

bool fsync_from(const std::string& config) {
  std::string compact;
  for (char c : config)
    if (c != ' ') compact += c;
  return compact.find("\"fsync\":false") == std::string::npos;
}

class RecorderSink final : public schakel::plugin::Plugin {
 public:
  RecorderSink(Host host, const std::string& config)
      : host_(host), path_(file_from(config)), fsync_(fsync_from(config)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error(path_ + ": cannot open: " + std::strerror(errno));
    // Count what earlier runs recorded; a line cut short by a crash is ended, so the next one
    // starts on its own line (the reader skips the partial one, as a server drops a cut request).
    char buf[65536];
    char last = '\n';
    for (ssize_t n; (n = ::pread(fd_, buf, sizeof buf, offset_)) > 0; offset_ += n) {
      for (ssize_t i = 0; i < n; ++i) lines_ += buf[i] == '\n' ? 1 : 0;
      last = buf[n - 1];
    }
    if (last != '\n') {
      if (::write(fd_, "\n", 1) != 1) throw std::runtime_error(path_ + ": cannot write");
      ++lines_;
    }
  }
  ~RecorderSink() override { ::close(fd_); }
  RecorderSink(const RecorderSink&) = delete;
  RecorderSink& operator=(const RecorderSink&) = delete;

  Outcome deliver(std::string_view document, const std::string& key) override {
    if (document.empty()) return Outcome::reject("empty document");
    const std::string line = R"({"key":")" + key + R"(","document":)" + std::string(document) + "}\n";
    std::lock_guard lock(mu_);
    // One write per line: a reader never sees two deliveries interleaved.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      return Outcome::retry(path_ + ": write failed: " + std::strerror(errno));
    if (fsync_ && ::fdatasync(fd_) != 0) return Outcome::retry(path_ + ": fdatasync failed: " + std::strerror(errno));
    ++lines_;
    host_.info("recorded " + std::to_string(lines_));
    return Outcome::ok(R"({"line":)" + std::to_string(lines_) + "}");
  }

 private:
  Host host_;
  std::string path_;
  bool fsync_;
  int fd_ = -1;
  off_t offset_ = 0;
  long lines_ = 0;
  std::mutex mu_;
};

}  // namespace

SCHAKEL_PLUGIN(RecorderSink, "demo-recorder", "0.1.0", R"json({
  "kind": "sink",
  "description": "Appends every document it receives, with its idempotency key, to a file.",
  "document_schema": {"type": "object", "required": []},
  "config_schema": {
    "type": "object",
    "required": ["file"],
    "properties": {
      "file": {"type": "string", "minLength": 1, "description": "Absolute path of the file to append to."},
      "fsync": {"type": "boolean", "default": true, "description": "fdatasync after every delivery."}
    },
    "additionalProperties": false
  }
})json", false)
