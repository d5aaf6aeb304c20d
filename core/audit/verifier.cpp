#include "audit/verifier.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "audit/checkpoint.hpp"
#include "audit/entry.hpp"

namespace schakel::audit {
namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

Result<std::optional<store::AuditRow>> row_at(store::Transaction& txn, std::int64_t seq) {
  if (seq < 1) return std::optional<store::AuditRow>{};
  auto rows = txn.audit_range(seq, 1);
  SCHAKEL_TRY(rows);
  if (rows->empty() || rows->front().seq != seq) return std::optional<store::AuditRow>{};
  return std::optional<store::AuditRow>{rows->front()};
}

bool hashes_as(store::AuditRow row, std::int64_t seq) {
  row.seq = seq;
  return compute_entry_hash(row) == row.hash;
}

// The seq at which `row`'s content was originally appended, if it hashes as any seq in the log.
// Slow path, run only once a verification has already failed.
Result<std::optional<std::int64_t>> original_seq(store::Transaction& txn, const store::AuditRow& row,
                                                 std::int64_t last_seq, int page) {
  std::optional<std::int64_t> linked_from;
  for (std::int64_t from = 1; from <= last_seq;) {
    auto rows = txn.audit_range(from, page);
    SCHAKEL_TRY(rows);
    if (rows->empty()) break;
    for (const auto& r : *rows) {
      if (r.hash == row.prev_hash) linked_from = r.seq;
    }
    from = rows->back().seq + 1;
  }
  if (linked_from && hashes_as(row, *linked_from + 1)) return std::optional<std::int64_t>{*linked_from + 1};
  for (std::int64_t s = 1; s <= last_seq + 1; ++s) {
    if (s != row.seq && hashes_as(row, s)) return std::optional<std::int64_t>{s};
  }
  return std::optional<std::int64_t>{};
}

Result<std::int64_t> last_seq_of(store::Transaction& txn) {
  auto last = txn.audit_head();
  SCHAKEL_TRY(last);
  return *last ? (*last)->seq : 0;
}

// Says what is wrong at expected seq `e`, where `row` broke the chain after the last good hash.
Result<Finding> diagnose(store::Transaction& txn, const ChainChecker& checker, ChainChecker::Step step,
                         const store::AuditRow& row, const std::string& good_hash, int page) {
  const std::int64_t e = checker.next_seq();
  if (step == ChainChecker::Step::gap) {
    if (row.seq > e) {
      return Finding{Problem::missing, e, 0,
                     row.seq - 1 == e ? "entry " + str(e) + " is missing (the log goes from " + str(e - 1) +
                                            " to " + str(row.seq) + ")"
                                      : "entries " + str(e) + ".." + str(row.seq - 1) + " are missing"};
    }
    return Finding{Problem::reordered, e, 0, "entry " + str(row.seq) + " appears again at position " + str(e)};
  }
  if (checker.self_ok() && !checker.link_ok()) {
    return Finding{Problem::changed, e - 1, 0,
                   "entry " + str(e - 1) + " changed: its hash was recomputed, but entry " + str(e) +
                       " links to a different hash"};
  }
  if (!checker.self_ok() && checker.link_ok()) {
    return Finding{Problem::changed, e, 0, "entry " + str(e) + " changed: its fields do not match its hash"};
  }
  auto last = last_seq_of(txn);
  SCHAKEL_TRY(last);
  auto orig = original_seq(txn, row, *last, page);
  SCHAKEL_TRY(orig);
  if (*orig && **orig > e) {
    return Finding{Problem::reordered, e, 0,
                   "entry " + str(e) + " is out of order: it holds the entry appended as " + str(**orig)};
  }
  if (*orig && **orig < e) {
    const std::int64_t s = **orig;
    return Finding{Problem::inserted, s, 0,
                   (e - 1 == s ? "entry " + str(s) + " was inserted" : "entries " + str(s) + ".." + str(e - 1) + " were inserted") +
                       ": entry " + str(e) + " was appended as " + str(s)};
  }
  auto next = row_at(txn, e + 1);
  SCHAKEL_TRY(next);
  if (*next && (*next)->prev_hash == good_hash && hashes_as(**next, e)) {
    return Finding{Problem::inserted, e, 0,
                   "entry " + str(e) + " was inserted: entry " + str(e + 1) + " was appended as " + str(e)};
  }
  return Finding{Problem::changed, e, 0,
                 "entry " + str(e) + " changed: neither its hash nor its link to entry " + str(e - 1) + " holds"};
}

struct CheckpointAt {
  std::int64_t n;
  int line;
  std::string hash;
};

}  // namespace

const char* problem_name(Problem p) {
  switch (p) {
    case Problem::changed: return "changed";
    case Problem::missing: return "missing";
    case Problem::inserted: return "inserted";
    case Problem::reordered: return "reordered";
    case Problem::truncated: return "truncated";
    case Problem::checkpoint_signature: return "checkpoint signature invalid";
    case Problem::checkpoint_missing: return "checkpoint missing";
    case Problem::checkpoint_unreadable: return "checkpoint unreadable";
    case Problem::checkpoint_file_missing: return "checkpoint file missing";
  }
  return "unknown";
}

std::string VerifyReport::summary() const {
  if (ok()) {
    return "audit log intact: " + str(entries) + " entries (last seq " + str(last_seq) + "), " +
           str(checkpoints) + " checkpoints verified";
  }
  const Finding& f = findings.front();
  return "audit log verification FAILED at seq " + str(f.seq) + ": " + problem_name(f.problem) + ": " + f.message;
}

ChainChecker::Step ChainChecker::check(const store::AuditRow& row) {
  if (row.seq != next_seq_) return Step::gap;
  const std::size_t need = row.prev_hash.size() + canonical_entry_bound(row);
  if (need > cap_) {
    cap_ = std::max(need, 2 * cap_);
    buf_ = std::make_unique<char[]>(cap_);
  }
  std::memcpy(buf_.get(), row.prev_hash.data(), row.prev_hash.size());
  const char* end = write_canonical_entry(row, buf_.get() + row.prev_hash.size());
  self_ok_ = end != nullptr;
  if (self_ok_) {
    static constexpr char kHex[] = "0123456789abcdef";
    const Digest d = sha_.digest(std::string_view(buf_.get(), static_cast<std::size_t>(end - buf_.get())));
    char hex[64];
    for (std::size_t i = 0; i < d.size(); ++i) {
      hex[2 * i] = kHex[d[i] >> 4];
      hex[2 * i + 1] = kHex[d[i] & 0xF];
    }
    self_ok_ = row.hash == std::string_view(hex, sizeof hex);
  }
  link_ok_ = row.prev_hash == prev_hash_;
  if (!self_ok_ || !link_ok_) return Step::broken;
  prev_hash_ = row.hash;
  ++next_seq_;
  return Step::ok;
}

Result<VerifyReport> verify_audit_log(store::Transaction& txn, const VerifyOptions& options) {
  VerifyReport report;
  const int page = std::max(1, options.page_size);

  // The checkpoints first: which (seq, hash) pairs the chain must contain.
  std::map<std::int64_t, CheckpointAt> expected;
  auto lines = read_checkpoint_file(options.checkpoint_path);
  bool file_missing = false;
  bool any_checkpoint_line = false;
  if (!lines) {
    if (lines.status().code() != ErrorCode::not_found) return lines.status();
    file_missing = true;
  } else if (!lines->empty()) {
    any_checkpoint_line = true;
    auto key = load_verify_key(options.key_dir);
    SCHAKEL_TRY(key);
    std::int64_t next_n = 1, prev_seq = 0;
    for (const auto& line : *lines) {
      const std::string where = options.checkpoint_path.filename().string() + ":" + str(line.line);
      if (!line.checkpoint) {
        report.findings.push_back({Problem::checkpoint_unreadable, prev_seq + 1, 0, where + ": " + line.error});
        continue;
      }
      const Checkpoint& cp = *line.checkpoint;
      std::string sig;
      if (!from_hex(cp.signature, sig) || !key->verify(checkpoint_message(cp), sig)) {
        report.findings.push_back({Problem::checkpoint_signature, cp.seq, cp.n,
                                   where + ": checkpoint " + str(cp.n) + " (seq " + str(cp.seq) +
                                       "): signature does not verify"});
        next_n = cp.n + 1;
        continue;
      }
      if (cp.n > next_n) {
        report.findings.push_back({Problem::checkpoint_missing, prev_seq + 1, next_n,
                                   where + ": checkpoint" + (cp.n - 1 == next_n ? " " + str(next_n) + " is" : "s " + str(next_n) + ".." + str(cp.n - 1) + " are") +
                                       " missing from the checkpoint file (this line holds checkpoint " + str(cp.n) + ")"});
      } else if (cp.n < next_n || cp.seq <= prev_seq) {
        report.findings.push_back({Problem::checkpoint_unreadable, cp.seq, cp.n,
                                   where + ": checkpoint " + str(cp.n) + " (seq " + str(cp.seq) + ") is out of order"});
        continue;
      }
      next_n = cp.n + 1;
      prev_seq = cp.seq;
      expected[cp.seq] = {cp.n, line.line, cp.hash};
    }
  }

  // The chain, page by page.
  ChainChecker checker;
  std::int64_t last_matched_cp_seq = 0;
  bool chain_ok = true;
  for (std::int64_t from = 1; chain_ok;) {
    auto rows = txn.audit_range(from, page);
    if (!rows && rows.status().code() == ErrorCode::corrupt) {
      // A stored field no longer parses: find the row one at a time and name it.
      std::int64_t bad = from;
      for (std::int64_t s = from; s < from + page; ++s) {
        auto one = txn.audit_range(s, 1);
        if (!one) { bad = s; break; }
        if (one->empty()) break;
        s = one->front().seq;
      }
      report.findings.push_back({Problem::changed, bad, 0, "entry " + str(bad) + " changed: " + rows.status().message()});
      chain_ok = false;
      break;
    }
    SCHAKEL_TRY(rows);
    if (rows->empty()) break;
    for (const auto& row : *rows) {
      const std::string good_hash = checker.last_hash();
      const auto step = checker.check(row);
      if (step != ChainChecker::Step::ok) {
        auto finding = diagnose(txn, checker, step, row, good_hash, page);
        SCHAKEL_TRY(finding);
        report.findings.push_back(*finding);
        chain_ok = false;
        break;
      }
      ++report.entries;
      if (auto it = expected.find(row.seq); it != expected.end()) {
        if (it->second.hash != row.hash) {
          report.findings.push_back(
              {Problem::changed, last_matched_cp_seq + 1, it->second.n,
               "entries after seq " + str(last_matched_cp_seq) + " up to " + str(row.seq) +
                   " were rewritten: entry " + str(row.seq) + " does not match checkpoint " + str(it->second.n)});
          chain_ok = false;
          break;
        }
        last_matched_cp_seq = row.seq;
        ++report.checkpoints;
      }
    }
    from = rows->back().seq + 1;
  }
  report.last_seq = checker.next_seq() - 1;
  report.last_hash = checker.last_hash();

  if (chain_ok) {
    auto beyond = expected.upper_bound(report.last_seq);
    if (beyond != expected.end()) {
      report.findings.push_back(
          {Problem::truncated, report.last_seq + 1, beyond->second.n,
           "truncated after checkpoint " + str(beyond->second.n - 1) + ": the log ends at seq " +
               str(report.last_seq) + ", but checkpoint " + str(beyond->second.n) + " (line " +
               str(beyond->second.line) + ") records entry " + str(beyond->first)});
    }
    // The writer checkpoints the first durable entry at once, so a log with entries and no
    // checkpoint at all has lost its checkpoint file.
    if (report.entries > 0 && !any_checkpoint_line) {
      report.findings.push_back({Problem::checkpoint_file_missing, 1, 0,
                                 options.checkpoint_path.string() +
                                     (file_missing ? ": checkpoint file is missing" : ": checkpoint file is empty") +
                                     " although the log holds " + str(report.entries) + " entries"});
    }
  }
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  return report;
}

}  // namespace schakel::audit
