#include "audit/pseudonym.hpp"

#include <algorithm>

#include "audit/crypto.hpp"

namespace schakel::audit {

Status check_tenant_name(const std::string& tenant) {
  if (tenant.empty() || tenant.size() > 64 || tenant.front() == '.') {
    return error(ErrorCode::invalid, "tenant \"" + tenant + "\": must be 1-64 characters, not starting with '.'");
  }
  for (char c : tenant) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return error(ErrorCode::invalid, "tenant \"" + tenant + "\": only letters, digits, '-', '_' and '.'");
  }
  return {};
}

std::filesystem::path TenantKeys::key_path(const std::string& tenant) const {
  return dir_ / ("tenant-" + tenant + ".key");
}

Result<std::string> TenantKeys::key(const std::string& tenant, bool create) {
  SCHAKEL_TRY(check_tenant_name(tenant));
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(tenant); it != cache_.end()) return it->second;
  auto k = create ? load_or_create_secret(key_path(tenant), 32) : load_secret(key_path(tenant), 32);
  SCHAKEL_TRY(k);
  cache_.emplace(tenant, *k);
  return k;
}

Result<std::string> TenantKeys::pseudonym(const std::string& tenant, const std::string& student_id) {
  auto k = key(tenant, true);
  SCHAKEL_TRY(k);
  return hmac_sha256_hex(*k, student_id);
}

Result<std::string> TenantKeys::existing_pseudonym(const std::string& tenant, const std::string& student_id) {
  auto k = key(tenant, false);
  SCHAKEL_TRY(k);
  return hmac_sha256_hex(*k, student_id);
}

std::vector<std::string> TenantKeys::tenants() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("tenant-", 0) == 0 && name.size() > 11 && name.ends_with(".key")) {
      out.push_back(name.substr(7, name.size() - 11));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace schakel::audit
