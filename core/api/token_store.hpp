#pragma once
// Creates, revokes and checks admin API bearer tokens. The secret is returned once, at creation;
// the store keeps only its SHA-256.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/roles.hpp"
#include "base/clock.hpp"
#include "base/status.hpp"
#include "store/store.hpp"

namespace schakel::api {

struct NewToken {
  Role role = Role::staff;
  std::vector<std::string> schools;  // BRIN codes
  TimePoint expires_at{};
  std::string created_by;  // the creating token's id, or e.g. "cli"
  std::string label;
};

struct IssuedToken {
  store::ApiTokenRow row;
  std::string secret;  // shown once; never logged
};

class TokenStore {
 public:
  TokenStore(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // invalid when a school is not a BRIN, the list is empty, or the expiry is not in the future.
  Result<IssuedToken> create(const NewToken& request);
  // not_found when the id is unknown.
  Status revoke(const std::string& id);
  Result<std::optional<store::ApiTokenRow>> find(const std::string& id);

  // The principal of a presented secret; denied (with a reason that never repeats the secret)
  // when it is malformed, unknown, revoked or expired. A known token's row is kept in memory for
  // at most k_cache_ttl, so a busy client does not cost a store read per request: a revocation
  // through this TokenStore applies at once, one written by another process (the offline CLI)
  // within k_cache_ttl. Expiry is checked against the clock on every request.
  Result<Principal> authenticate(std::string_view secret);

  static constexpr std::chrono::milliseconds k_cache_ttl{1000};

 private:
  struct Cached {
    // Shared, so a request that hits the cache copies a pointer rather than the row's strings.
    std::shared_ptr<const store::ApiTokenRow> row;
    std::chrono::steady_clock::time_point loaded;
  };
  // Null when the store does not know the hash.
  Result<std::shared_ptr<const store::ApiTokenRow>> lookup(const std::string& hash);
  void forget(const std::string& id);

  store::Store& store_;
  const Clock& clock_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // by token_sha256; only tokens the store knows
  std::uint64_t revocations_ = 0;  // a row read before a revocation is not cached after it
};

}  // namespace schakel::api
