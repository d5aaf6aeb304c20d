#include "api/token_store.hpp"

#include "api/token.hpp"

namespace schakel::api {

Result<IssuedToken> TokenStore::create(const NewToken& request) {
  if (request.schools.empty()) return Status(ErrorCode::invalid, "a token needs at least one school");
  for (const auto& s : request.schools) {
    if (!is_brin(s)) return Status(ErrorCode::invalid, "school '" + s + "' is not a BRIN code (e.g. 27XK)");
  }
  const TimePoint now = clock_.now();
  if (request.expires_at <= now) return Status(ErrorCode::invalid, "the expiry must be in the future");
  auto secret = generate_token_secret();
  if (!secret) return secret.status();
  auto id = generate_token_id();
  if (!id) return id.status();

  IssuedToken out;
  out.secret = std::move(*secret);
  out.row.id = std::move(*id);
  out.row.token_sha256 = sha256_hex(out.secret);
  out.row.role = role_name(request.role);
  out.row.schools = request.schools;
  out.row.created_at = now;
  out.row.expires_at = request.expires_at;
  out.row.created_by = request.created_by;
  out.row.label = request.label;
  SCHAKEL_TRY(store_.write([&](store::Transaction& tx) { return tx.insert_api_token(out.row); }));
  return out;
}

Status TokenStore::revoke(const std::string& id) {
  const TimePoint now = clock_.now();
  const Status st = store_.write([&](store::Transaction& tx) { return tx.revoke_api_token(id, now); });
  forget(id);  // also after a failure: the next request reads the store
  return st;
}

void TokenStore::forget(const std::string& id) {
  std::lock_guard lock(cache_mu_);
  ++revocations_;
  std::erase_if(cache_, [&](const auto& entry) { return entry.second.row->id == id; });
}

Result<std::shared_ptr<const store::ApiTokenRow>> TokenStore::lookup(const std::string& hash) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t revocations = 0;
  {
    std::lock_guard lock(cache_mu_);
    revocations = revocations_;
    if (auto it = cache_.find(hash); it != cache_.end() && now - it->second.loaded < k_cache_ttl) {
      return it->second.row;
    }
  }
  auto tx = store_.begin(false);
  if (!tx) return tx.status();
  auto row = (*tx)->api_token_by_hash(hash);
  if (!row) return row.status();
  tx->reset();
  std::shared_ptr<const store::ApiTokenRow> found;
  if (*row) found = std::make_shared<const store::ApiTokenRow>(std::move(**row));
  std::lock_guard lock(cache_mu_);
  if (!found || revocations != revocations_) {
    cache_.erase(hash);
    return found;
  }
  // Unknown secrets are never cached, so guessing cannot grow this; the bound is for many tokens.
  if (cache_.size() >= 4096) cache_.clear();
  cache_[hash] = Cached{found, now};
  return found;
}

Result<std::optional<store::ApiTokenRow>> TokenStore::find(const std::string& id) {
  auto tx = store_.begin(false);
  if (!tx) return tx.status();
  return (*tx)->api_token(id);
}

Result<Principal> TokenStore::authenticate(std::string_view secret) {
  if (!looks_like_token_secret(secret)) return Status(ErrorCode::denied, "the bearer token is malformed");
  const std::string hash = sha256_hex(secret);
  auto row = lookup(hash);
  if (!row) return row.status();
  // The lookup is by hash; comparing again in constant time keeps a timing side channel out even
  // if a future store compares differently.
  if (!*row || !constant_time_equal((*row)->token_sha256, hash)) {
    return Status(ErrorCode::denied, "the bearer token is not known");
  }
  const store::ApiTokenRow& r = **row;
  if (r.revoked_at) return Status(ErrorCode::denied, "the bearer token has been revoked");
  if (r.expires_at <= clock_.now()) return Status(ErrorCode::denied, "the bearer token has expired");
  auto role = role_from_name(r.role);
  if (!role) return Status(ErrorCode::corrupt, "token " + r.id + " has an unknown role");
  return Principal{r.id, *role, r.schools};
}

}  // namespace schakel::api
