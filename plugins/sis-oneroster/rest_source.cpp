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
    for (const char* f : {"orgs", "classes", "enrollments", "demographics"}) m.files[f] = FileMode::bulk;
    m.files["users"] = cursor_.empty() ? FileMode::bulk : FileMode::delta;
    return m;  // no roles: the binding puts them inside each user
  }

  Status each(const std::string& file, const std::vector<std::string>&,
              const std::function<void(const oneroster::Table&)>& row, const BadRow& bad) override {
    const std::string filter = file == "users" && !cursor_.empty() ? oneroster::modified_since_filter(cursor_) : "";
    return reader_.each(file, filter, row, bad);
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
