#pragma once
// Signed checkpoints outside the database: one JSON line per checkpoint in a file of their own,
//   {"hash":..,"n":..,"seq":..,"sig":..,"time":..}
// where sig is Ed25519 over JCS({"hash","n","seq","time"}). n counts checkpoints from 1, so a
// removed line shows as a gap; a database cut short shows as a checkpoint beyond its last entry.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/crypto.hpp"
#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::audit {

struct Checkpoint {
  std::int64_t n = 0;
  std::int64_t seq = 0;
  std::string hash;  // the entry's hash, hex
  TimePoint time{};
  std::string signature;  // hex
};

// The bytes the signature covers.
std::string checkpoint_message(const Checkpoint& cp);

// One line of the checkpoint file as read back: the checkpoint, or why the line is unusable.
struct CheckpointLine {
  int line = 0;
  std::optional<Checkpoint> checkpoint;
  std::string error;  // set when the line does not parse
};
// Reads every line; a missing file is not_found.
Result<std::vector<CheckpointLine>> read_checkpoint_file(const std::filesystem::path& path);

// The signing key files in the key directory: a 32-byte seed (0600) and its public half (hex).
std::filesystem::path signing_key_path(const std::filesystem::path& key_dir);
std::filesystem::path verify_key_path(const std::filesystem::path& key_dir);
Result<Ed25519Key> load_or_create_signing_key(const std::filesystem::path& key_dir);
// The public key for verifying: the .pub file, else derived from the private seed.
Result<Ed25519Key> load_verify_key(const std::filesystem::path& key_dir);

// Appends signed checkpoints, each fsynced before append returns.
class CheckpointFile {
 public:
  // Creates the file when absent and reads the last checkpoint to continue numbering.
  static Result<std::unique_ptr<CheckpointFile>> open(const std::filesystem::path& path, Ed25519Key key);

  // Signs and appends (seq, hash, time) unless seq is not beyond the last checkpoint.
  Status append(std::int64_t seq, const std::string& hash, TimePoint time);
  [[nodiscard]] std::int64_t last_seq() const;
  [[nodiscard]] TimePoint last_time() const;

 private:
  CheckpointFile(std::filesystem::path path, Ed25519Key key) : path_(std::move(path)), key_(std::move(key)) {}
  std::filesystem::path path_;
  Ed25519Key key_;
  mutable std::mutex mu_;
  std::int64_t last_n_ = 0;
  std::int64_t last_seq_ = 0;
  TimePoint last_time_{};
};

}  // namespace schakel::audit
