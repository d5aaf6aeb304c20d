#pragma once
// Runs the `schakel` CLI as a child process the way a person would, for the integration tests:
// stdout and stderr kept apart (token create's stdout must hold the secret alone), and every
// output kept, so a test can check at the end that no secret leaked anywhere.
#include <filesystem>
#include <string>
#include <vector>

namespace schakel::test {

struct CliResult {
  int code = -1;
  std::string out;  // stdout only
  std::string err;
};

void write_file(const std::filesystem::path& path, const std::string& text);
// 'text' quoted for /bin/sh.
std::string shell_quote(const std::string& text);

class CliRunner {
 public:
  // `program`: the schakel binary; `work_dir`: where token files and captured stderr go.
  CliRunner(std::string program, std::filesystem::path work_dir);

  // The daemon's API and the CA file that verifies it, for live().
  void set_api(std::string url, std::string ca_file);

  CliResult run(const std::vector<std::string>& args);
  // run() with --url, --ca-file and --token-file before `args`.
  CliResult live(const std::string& token_file, const std::vector<std::string>& args);

  // A token file (mode 0600) holding `secret`; returns its path.
  std::string token_file(const std::string& name, const std::string& secret);
  // The secret from token create's stdout ("skl_...\n"), or "" when stdout is anything else.
  static std::string secret_of(const CliResult& created);

  // Everything any run printed, stdout and stderr.
  [[nodiscard]] const std::string& all_output() const { return all_output_; }

 private:
  std::string program_;
  std::filesystem::path dir_;
  std::string url_;
  std::string ca_file_;
  std::string all_output_;
};

}  // namespace schakel::test
