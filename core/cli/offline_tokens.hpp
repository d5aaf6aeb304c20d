#pragma once
// `schakel token create|revoke --config FILE`: writes the daemon's token table directly, for the
// first admin token (before any token exists to call the API with). The store is SQLite in WAL
// mode, so the daemon may be running. Each change is audited (token.create, token.revoke).
#include <ostream>
#include <string>
#include <vector>

namespace schakel::cli {

struct TokenRequest {
  std::string role;
  std::vector<std::string> schools;  // BRIN codes
  std::string label;
  int expires_in_days = 90;
};

// Checks role, schools and lifetime; returns "" or what is wrong, naming the option.
std::string check_token_request(const TokenRequest& request);

// Prints the secret, and nothing else, on `out`; the token's id and scope go to `err`.
// Exit codes: 0 created, 2 bad input, configuration or data directory.
int token_create_offline(const std::string& config_file, const std::string& schema_dir,
                         const TokenRequest& request, std::ostream& out, std::ostream& err);
// Exit codes: 0 revoked, 1 no such token, 2 bad configuration or data directory.
int token_revoke_offline(const std::string& config_file, const std::string& schema_dir, const std::string& id,
                         std::ostream& out, std::ostream& err);

}  // namespace schakel::cli
