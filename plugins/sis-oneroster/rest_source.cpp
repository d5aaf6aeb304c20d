#include "rest_source.hpp"

namespace schakel::sis_oneroster {
namespace {

using oneroster::FileMode;

class RestSource final : public RowSource {
 public:
  RestSource(oneroster::RestReader& reader, oneroster::Version version, std::string cursor)
      : reader_(reader), version_(version), cursor_(std::move(cursor)) {}

  Result<oneroster::Manifest> manifest() override {
    oneroster::Manifest m;
    m.version = version_;
    for (const char* f : {"orgs", "classes"}) m.files[f] = FileMode::bulk;
    for (const char* f : {"users", "enrollments", "demographics"}) m.files[f] = cursor_.empty() ? FileMode::bulk : FileMode::delta;
    return m;  // no roles: the binding puts them inside each user
  }

  Status each(const std::string& file, const std::vector<std::string>&,
              const std::function<void(const oneroster::Table&)>& row, const BadRow& bad) override {
    const bool changes = file == "users" || file == "enrollments" || file == "demographics";
    const std::string filter = changes && !cursor_.empty() ? oneroster::modified_since_filter(cursor_) : "";
    return reader_.each(file, filter, row, bad);
  }

  [[nodiscard]] bool incremental() const override { return !cursor_.empty(); }

  // field='a' OR field='b' ..., a few dozen keys per listing so the URL stays short.
  Status each_with(const std::string& file, const std::string& field, const std::vector<std::string>& keys,
                   const std::function<void(const oneroster::Table&)>& row, const BadRow& bad) override {
    constexpr std::size_t k_per_request = 40;
    for (std::size_t i = 0; i < keys.size(); i += k_per_request) {
      std::string filter;
      for (std::size_t j = i; j < keys.size() && j < i + k_per_request; ++j) {
        std::string quoted;
        for (char ch : keys[j]) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
        filter += (filter.empty() ? "" : " OR ") + field + "='" + quoted + "'";
      }
      SCHAKEL_TRY(reader_.each(file, filter, row, bad));
    }
    return Status::ok();
  }

 private:
  oneroster::RestReader& reader_;
  oneroster::Version version_;
  std::string cursor_;
};

}  // namespace

std::unique_ptr<RowSource> rest_source(oneroster::RestReader& reader, oneroster::Version version, std::string cursor) {
  return std::make_unique<RestSource>(reader, version, std::move(cursor));
}

}  // namespace schakel::sis_oneroster
