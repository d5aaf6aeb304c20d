// `schakel token create|revoke`: offline with --config (writes the store directly), otherwise
// through the API (POST /v1/tokens, DELETE /v1/tokens/{id}).
#include <iostream>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/live.hpp"
#include "cli/offline_tokens.hpp"

namespace schakel::cli {
namespace {

int create_online(const Globals& globals, const TokenRequest& r) {
  if (auto bad = check_token_request(r); !bad.empty()) {
    std::cerr << "schakel token create: " << bad << "\n";
    return k_exit_usage;
  }
  const SystemClock clock;
  const auto expires = clock.now() + std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::hours(24) * r.expires_in_days);
  nlohmann::json body = {{"role", r.role}, {"schools", r.schools}, {"expires_at", format_utc(expires)}};
  if (!r.label.empty()) body["label"] = r.label;
  LiveCall call{"token create", "POST", "/v1/tokens", body, [](const nlohmann::json& b, std::ostream& out) {
                  // The secret alone on stdout, so a script can capture it.
                  out << b.value("token", "") << "\n";
                  std::cerr << "created token " << b.value("id", "") << " (role " << b.value("role", "")
                            << ", expires " << b.value("expires_at", "") << "); the secret above is shown only once\n";
                }};
  return run_live(globals.live, call, std::cout, std::cerr);
}

int revoke_online(const Globals& globals, const std::string& id) {
  LiveCall call{"token revoke", "DELETE", "/v1/tokens/" + path_segment(id), std::nullopt,
                [id](const nlohmann::json&, std::ostream& out) { out << "revoked " << id << "\n"; }};
  return run_live(globals.live, call, std::cout, std::cerr);
}

}  // namespace

Runner add_token_commands(CLI::App& app, const Globals& globals) {
  auto* token = app.add_subcommand("token", "create and revoke admin API bearer tokens");
  token->require_subcommand(1);
  auto config_file = std::make_shared<std::string>();
  auto request = std::make_shared<TokenRequest>();

  auto* create = token->add_subcommand(
      "create", "create a token; prints its secret (once) and nothing else on stdout");
  auto* create_config = create->add_option(
      "--config", *config_file, "offline: write the store of the daemon with this configuration directly (else: through the API)");
  create->add_option("--role", request->role, "admin, staff, privacy_officer or operator")->required();
  create->add_option("--school", request->schools, "a school's BRIN code the token may see (repeat for more)")
      ->required()
      ->take_all();
  create->add_option("--label", request->label, "what the token is for");
  create->add_option("--expires-in-days", request->expires_in_days, "lifetime in days")->capture_default_str();

  auto* revoke = token->add_subcommand("revoke", "revoke a token by its id (tok_...)");
  auto id = std::make_shared<std::string>();
  auto* revoke_config = revoke->add_option(
      "--config", *config_file, "offline: write the store of the daemon with this configuration directly");
  revoke->add_option("ID", *id, "token id")->required();

  return [=, &globals]() -> int {
    if (create->parsed()) {
      if (create_config->count() > 0)
        return token_create_offline(*config_file, globals.schema_dir, *request, std::cout, std::cerr);
      return create_online(globals, *request);
    }
    if (revoke->parsed()) {
      if (revoke_config->count() > 0)
        return token_revoke_offline(*config_file, globals.schema_dir, *id, std::cout, std::cerr);
      return revoke_online(globals, *id);
    }
    return -1;
  };
}

}  // namespace schakel::cli
