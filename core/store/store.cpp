#include "store/store.hpp"

#include <array>

#include "store/migrations.hpp"

namespace schakel::store {
namespace {

constexpr std::array<const char*, 8> k_kind_names = {"school",  "student", "guardian", "staff",
                                                    "case",    "consent", "referral", "meeting"};

}  // namespace

Result<std::optional<std::string>> school_tenant(Transaction& tx, const std::string& school_id) {
  auto school = tx.get(Kind::school, school_id);
  if (!school) return school.status();
  if (!*school) return std::optional<std::string>{};
  if (!(*school)->tenant.empty()) return std::optional<std::string>((*school)->tenant);
  const auto& doc = (*school)->doc;
  return std::optional<std::string>(doc.value("brin", std::string()) + doc.value("vestiging", std::string()));
}

const char* kind_name(Kind kind) { return k_kind_names.at(static_cast<std::size_t>(kind)); }

std::optional<Kind> kind_from_name(const std::string& name) {
  for (std::size_t i = 0; i < k_kind_names.size(); ++i) {
    if (name == k_kind_names[i]) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

namespace {
constexpr std::array<const char*, 5> k_outbox_states = {"pending", "in_flight", "delivered", "dead",
                                                        "dropped"};
}  // namespace

const char* outbox_state_name(OutboxState state) {
  return k_outbox_states.at(static_cast<std::size_t>(state));
}

std::optional<OutboxState> outbox_state_from_name(const std::string& name) {
  for (std::size_t i = 0; i < k_outbox_states.size(); ++i) {
    if (name == k_outbox_states[i]) return static_cast<OutboxState>(i);
  }
  return std::nullopt;
}

int latest_schema_version() { return sqlite::migrations().back().version; }

}  // namespace schakel::store
