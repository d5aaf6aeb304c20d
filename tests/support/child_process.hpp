#pragma once
// Starts a program as a child process with its stdout and stderr on pipes, reads lines with an
// upper bound on the wait (an event, not a sleep), and kills the child if the test ends first.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace schakel::test {

class ChildProcess {
 public:
  // argv[0] is the program path. env entries "NAME=value" are added to the environment.
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] int pid() const { return pid_; }

  // The next line the child wrote to stderr (or stdout, merged), or nullopt at EOF or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Reads lines until one contains `needle`; returns it, or nullopt. Every line read is kept.
  std::optional<std::string> wait_for(const std::string& needle,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }
  [[nodiscard]] std::string all_output() const;

  void signal(int signo) const;
  // Waits for the child to exit; returns its exit code, or 128 + signal.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::vector<std::string> lines_;
  std::optional<int> exit_code_;
  bool eof_ = false;
};

// Runs a program to completion; returns its exit code and merged output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult run_program(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace schakel::test
