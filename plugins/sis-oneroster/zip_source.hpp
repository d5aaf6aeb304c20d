#pragma once
// A OneRoster CSV bundle inside a .zip as a row source for the sync pass (sync.hpp).
#include <filesystem>
#include <memory>

#include "base/status.hpp"
#include "sync.hpp"

namespace schakel::sis_oneroster {

// Opens the archive now, so a corrupt zip, a missing manifest.csv or a zip-slip entry is an error
// here, before anything is emitted.
Result<std::unique_ptr<RowSource>> zip_source(const std::filesystem::path& zip);

}  // namespace schakel::sis_oneroster
