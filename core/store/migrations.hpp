#pragma once
// Numbered schema migrations, applied in order when a store is opened. The version lives in the
// file's header (PRAGMA user_version), so it commits together with the migration's changes.
#include <string>
#include <vector>

#include "base/status.hpp"

namespace schakel::store::sqlite {

class Db;

struct Migration {
  int version;
  const char* sql;
};

// All migrations, oldest first; versions are 1, 2, 3, ... without gaps.
const std::vector<Migration>& migrations();

// Brings the file up to the latest version inside one write transaction, or refuses a file
// written by a newer binary. Returns the version the file has afterwards.
Result<int> migrate(Db& db);

// The version recorded in the file (0 for a new, empty file).
Result<int> file_version(Db& db);

}  // namespace schakel::store::sqlite
