#include "store/store.hpp"

#include <array>

#include "store/migrations.hpp"

namespace schakel::store {
namespace {

constexpr std::array<const char*, 8> k_kind_names = {"school",  "student", "guardian", "staff",
                                                    "case",    "consent", "referral", "meeting"};

}  // namespace

const char* kind_name(Kind kind) { return k_kind_names.at(static_cast<std::size_t>(kind)); }

std::optional<Kind> kind_from_name(const std::string& name) {
  for (std::size_t i = 0; i < k_kind_names.size(); ++i) {
    if (name == k_kind_names[i]) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

int latest_schema_version() { return sqlite::migrations().back().version; }

}  // namespace schakel::store
