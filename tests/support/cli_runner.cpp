#include "cli_runner.hpp"

#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "child_process.hpp"

namespace schakel::test {

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliRunner::CliRunner(std::string program, std::filesystem::path work_dir)
    : program_(std::move(program)), dir_(std::move(work_dir)) {}

void CliRunner::set_api(std::string url, std::string ca_file) {
  url_ = std::move(url);
  ca_file_ = std::move(ca_file);
}

CliResult CliRunner::run(const std::vector<std::string>& args) {
  const auto err_file = dir_ / "cli-stderr.txt";
  std::string cmd = "exec " + shell_quote(program_);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err_file.string());
  auto r = run_program({"/bin/sh", "-c", cmd});
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  CliResult c{r.exit_code, r.output, ss.str()};
  all_output_ += c.out + c.err;
  return c;
}

CliResult CliRunner::live(const std::string& token_file, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"--url", url_, "--ca-file", ca_file_, "--token-file", token_file};
  full.insert(full.end(), args.begin(), args.end());
  return run(full);
}

std::string CliRunner::token_file(const std::string& name, const std::string& secret) {
  const auto p = dir_ / name;
  write_file(p, secret + "\n");
  ::chmod(p.c_str(), 0600);
  return p.string();
}

std::string CliRunner::secret_of(const CliResult& created) {
  static const std::regex k_secret("skl_[A-Za-z0-9_-]{43}\n");
  if (!std::regex_match(created.out, k_secret)) return {};
  return created.out.substr(0, created.out.size() - 1);
}

}  // namespace schakel::test
