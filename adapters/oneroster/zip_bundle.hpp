#pragma once
// A OneRoster CSV bundle inside a .zip: manifest.csv and the files it names, at the top of the
// archive or inside one top-level folder. Each file is streamed out of the archive (never
// extracted, never loaded whole). Opening refuses, with the archive's name and the reason, a file
// that is not a readable zip, an archive without manifest.csv, and any entry whose name could
// escape a directory if extracted (absolute, "..", backslashes: "zip slip"), since such an
// archive was not written by a LAS export.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "oneroster/model.hpp"
#include "oneroster/table.hpp"

namespace schakel::oneroster {

class ZipBundle {
 public:
  static Result<std::unique_ptr<ZipBundle>> open(const std::filesystem::path& zip);
  ~ZipBundle();
  ZipBundle(const ZipBundle&) = delete;
  ZipBundle& operator=(const ZipBundle&) = delete;

  Result<Manifest> manifest();
  // Streams `file` ("users") row by row through `row`; errors name "<zip>!<entry>:<line>".
  Status each(const std::string& file, const std::vector<std::string>& required_columns,
              const std::function<void(const Table&)>& row);

  struct Archive;

 private:
  explicit ZipBundle(std::unique_ptr<Archive> archive);
  Result<std::unique_ptr<Table>> open_table(const std::string& entry, const std::vector<std::string>& required,
                                            std::shared_ptr<Status>& read_error);
  std::unique_ptr<Archive> archive_;
};

// Why an entry name is refused ("" when it is fine).
std::string unsafe_entry_reason(const std::string& name);

}  // namespace schakel::oneroster
