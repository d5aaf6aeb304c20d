#include "audit/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "audit/entry.hpp"
#include "audit/jcs.hpp"

namespace schakel::audit {
namespace {

std::string time_text(TimePoint t) {
  std::string s;
  append_utc_micros(s, t);
  return s;
}

}  // namespace

std::string checkpoint_message(const Checkpoint& cp) {
  const nlohmann::json j = {{"n", cp.n}, {"seq", cp.seq}, {"hash", cp.hash}, {"time", time_text(cp.time)}};
  auto c = canonical_json(j);
  return c ? *c : std::string{};
}

Result<std::vector<CheckpointLine>> read_checkpoint_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return error(ErrorCode::not_found, path.string() + ": checkpoint file does not exist");
    }
    return error(ErrorCode::io, path.string() + ": cannot read checkpoint file");
  }
  std::vector<CheckpointLine> lines;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.empty()) continue;
    CheckpointLine line;
    line.line = number;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    Checkpoint cp;
    if (!j.is_object() || !j.contains("n") || !j["n"].is_number_integer() || !j.contains("seq") ||
        !j["seq"].is_number_integer() || !j.contains("hash") || !j["hash"].is_string() ||
        !j.contains("time") || !j["time"].is_string() || !j.contains("sig") || !j["sig"].is_string()) {
      line.error = "not a checkpoint (needs integer n and seq, strings hash, time and sig)";
    } else if (!parse_rfc3339(j["time"].get<std::string>(), cp.time)) {
      line.error = "time is not RFC 3339";
    } else {
      cp.n = j["n"].get<std::int64_t>();
      cp.seq = j["seq"].get<std::int64_t>();
      cp.hash = j["hash"].get<std::string>();
      cp.signature = j["sig"].get<std::string>();
      line.checkpoint = cp;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::filesystem::path signing_key_path(const std::filesystem::path& key_dir) {
  return key_dir / "audit-signing.key";
}
std::filesystem::path verify_key_path(const std::filesystem::path& key_dir) {
  return key_dir / "audit-signing.pub";
}

Result<Ed25519Key> load_or_create_signing_key(const std::filesystem::path& key_dir) {
  auto seed = load_or_create_secret(signing_key_path(key_dir), 32);
  SCHAKEL_TRY(seed);
  auto key = Ed25519Key::from_private(*seed);
  SCHAKEL_TRY(key);
  const auto pub_path = verify_key_path(key_dir);
  std::error_code ec;
  if (!std::filesystem::exists(pub_path, ec)) {
    SCHAKEL_TRY(write_file_atomically(pub_path, to_hex(reinterpret_cast<const unsigned char*>(
                                                           key->public_key().data()), 32) + "\n",
                                      0644));
  }
  return key;
}

Result<Ed25519Key> load_verify_key(const std::filesystem::path& key_dir) {
  std::ifstream in(verify_key_path(key_dir));
  if (in) {
    std::string hex, raw;
    in >> hex;
    if (!from_hex(hex, raw) || raw.size() != 32) {
      return error(ErrorCode::corrupt, verify_key_path(key_dir).string() + ": not a hex Ed25519 public key");
    }
    return Ed25519Key::from_public(raw);
  }
  auto seed = load_secret(signing_key_path(key_dir), 32);
  SCHAKEL_TRY(seed);
  auto key = Ed25519Key::from_private(*seed);
  SCHAKEL_TRY(key);
  return Ed25519Key::from_public(key->public_key());
}

Result<std::unique_ptr<CheckpointFile>> CheckpointFile::open(const std::filesystem::path& path, Ed25519Key key) {
  std::unique_ptr<CheckpointFile> file(new CheckpointFile(path, std::move(key)));
  auto lines = read_checkpoint_file(path);
  if (!lines) {
    if (lines.status().code() != ErrorCode::not_found) return lines.status();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return error(ErrorCode::io, path.string() + ": create: " + std::strerror(errno));
    ::fsync(fd);
    ::close(fd);
    return file;
  }
  for (const auto& line : *lines) {
    if (!line.checkpoint) continue;
    file->last_n_ = std::max(file->last_n_, line.checkpoint->n);
    if (line.checkpoint->seq >= file->last_seq_) {
      file->last_seq_ = line.checkpoint->seq;
      file->last_time_ = line.checkpoint->time;
    }
  }
  return file;
}

Status CheckpointFile::append(std::int64_t seq, const std::string& hash, TimePoint time) {
  std::lock_guard lock(mu_);
  if (seq <= last_seq_) return {};
  Checkpoint cp{last_n_ + 1, seq, hash, time, {}};
  const std::string message = checkpoint_message(cp);
  auto sig = key_.sign(message);
  SCHAKEL_TRY(sig);
  cp.signature = to_hex(reinterpret_cast<const unsigned char*>(sig->data()), sig->size());
  const nlohmann::json j = {{"n", cp.n}, {"seq", cp.seq}, {"hash", cp.hash},
                            {"time", time_text(cp.time)}, {"sig", cp.signature}};
  const std::string line = j.dump() + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return error(ErrorCode::io, path_.string() + ": open: " + std::strerror(errno));
  const auto n = ::write(fd, line.data(), line.size());
  const bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) return error(ErrorCode::io, path_.string() + ": append checkpoint: " + std::strerror(saved));
  last_n_ = cp.n;
  last_seq_ = seq;
  last_time_ = time;
  return {};
}

std::int64_t CheckpointFile::last_seq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

TimePoint CheckpointFile::last_time() const {
  std::lock_guard lock(mu_);
  return last_time_;
}

}  // namespace schakel::audit
