#include "zip_source.hpp"

#include "oneroster/zip_bundle.hpp"

namespace schakel::sis_oneroster {
namespace {

class ZipSource final : public RowSource {
 public:
  explicit ZipSource(std::unique_ptr<oneroster::ZipBundle> zip) : zip_(std::move(zip)) {}
  Result<oneroster::Manifest> manifest() override { return zip_->manifest(); }
  Status each(const std::string& file, const std::vector<std::string>& required,
              const std::function<void(const oneroster::Table&)>& row, const BadRow&) override {
    return zip_->each(file, required, row);
  }

 private:
  std::unique_ptr<oneroster::ZipBundle> zip_;
};

}  // namespace

Result<std::unique_ptr<RowSource>> zip_source(const std::filesystem::path& zip) {
  auto bundle = oneroster::ZipBundle::open(zip);
  if (!bundle) return bundle.status();
  return std::unique_ptr<RowSource>(std::make_unique<ZipSource>(std::move(*bundle)));
}

}  // namespace schakel::sis_oneroster
