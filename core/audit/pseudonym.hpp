#pragma once
// Subject pseudonyms: HMAC-SHA-256(tenant key, student id). Each tenant's key is 32 random bytes
// in <key_dir>/tenant-<tenant>.key (0600), outside the database, created on first use; without
// the key a pseudonym cannot be linked back to a student.
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.hpp"

namespace schakel::audit {

class TenantKeys {
 public:
  explicit TenantKeys(std::filesystem::path key_dir) : dir_(std::move(key_dir)) {}

  // The pseudonym of `student_id` within `tenant`, creating the tenant's key on first use.
  Result<std::string> pseudonym(const std::string& tenant, const std::string& student_id);
  // The same, but never creates a key: not_found when the tenant has none (nothing to find).
  Result<std::string> existing_pseudonym(const std::string& tenant, const std::string& student_id);
  // Tenants with a key file.
  [[nodiscard]] std::vector<std::string> tenants() const;

  [[nodiscard]] std::filesystem::path key_path(const std::string& tenant) const;

 private:
  Result<std::string> key(const std::string& tenant, bool create);

  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::string, std::string> cache_;
};

// Tenant ids become file names: letters, digits, '-', '_' and '.', not starting with '.'.
Status check_tenant_name(const std::string& tenant);

}  // namespace schakel::audit
