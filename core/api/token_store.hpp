#pragma once
// Creates, revokes and checks admin API bearer tokens. The secret is returned once, at creation;
// the store keeps only its SHA-256.
#include <string>
#include <string_view>
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
  // when it is malformed, unknown, revoked or expired.
  Result<Principal> authenticate(std::string_view secret);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace schakel::api
