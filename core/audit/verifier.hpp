#pragma once
// Verifies the audit chain as stored: seq continuity, prev_hash links and each entry's hash,
// rebuilt from the stored fields; then the signed checkpoints outside the database. Names the
// first bad sequence number and what is wrong with it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/crypto.hpp"
#include "audit/entry.hpp"
#include "store/store.hpp"

namespace schakel::audit {

enum class Problem {
  changed,                  // an entry's fields no longer match its hash, or a rewritten chain
  missing,                  // entries deleted from the middle or the start
  inserted,                 // entries that were never appended
  reordered,                // an entry stands at another entry's place
  truncated,                // entries after a checkpoint are gone
  checkpoint_signature,     // a checkpoint's signature does not verify
  checkpoint_missing,       // a checkpoint line was removed (numbering gap)
  checkpoint_unreadable,    // a line that is not a checkpoint, or numbering goes backwards
  checkpoint_file_missing,  // entries exist but the checkpoint file does not
};
const char* problem_name(Problem p);

struct Finding {
  Problem problem = Problem::changed;
  std::int64_t seq = 0;         // the first bad sequence number this finding names
  std::int64_t checkpoint = 0;  // the checkpoint number, when one is involved
  std::string message;
};

struct VerifyReport {
  std::int64_t entries = 0;
  std::int64_t last_seq = 0;
  std::string last_hash;
  std::int64_t checkpoints = 0;   // valid checkpoints matched against the chain
  std::vector<Finding> findings;  // ordered by seq; empty when the log is intact

  [[nodiscard]] bool ok() const { return findings.empty(); }
  [[nodiscard]] const Finding* first() const { return findings.empty() ? nullptr : &findings.front(); }
  [[nodiscard]] std::string summary() const;
};

struct VerifyOptions {
  std::filesystem::path checkpoint_path;
  std::filesystem::path key_dir;  // holds audit-signing.pub (or the private seed)
  int page_size = 10000;
};

// Verifies the log readable through `txn`. An error Status only when the store or a file
// cannot be read at all; tampering is reported in the VerifyReport.
Result<VerifyReport> verify_audit_log(store::Transaction& txn, const VerifyOptions& options);

// The chain check over rows in seq order, without the store: the verifier's inner loop.
class ChainChecker {
 public:
  enum class Step { ok, gap, broken };
  Step check(const store::AuditRow& row);

  [[nodiscard]] std::int64_t next_seq() const { return next_seq_; }
  [[nodiscard]] const std::string& last_hash() const { return prev_hash_; }
  [[nodiscard]] bool self_ok() const { return self_ok_; }
  [[nodiscard]] bool link_ok() const { return link_ok_; }

 private:
  Sha256 sha_;
  std::unique_ptr<char[]> buf_;  // reused: prev_hash || canonical entry
  std::size_t cap_ = 0;
  std::string prev_hash_{kGenesisHash};
  std::int64_t next_seq_ = 1;
  bool self_ok_ = true;
  bool link_ok_ = true;
};

}  // namespace schakel::audit
