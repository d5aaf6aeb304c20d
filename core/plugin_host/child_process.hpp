#pragma once
// Running a piece of plugin work in a child process and reporting how the child ended. Today
// plugins run inside the daemon, so a crash takes the daemon down; this is the supervisor's side
// of the later per-plugin process isolation, used now to observe and report such a crash.
#include <functional>
#include <string>

#include "base/status.hpp"

namespace schakel::plugin_host {

struct ChildExit {
  bool signaled = false;
  int signal = 0;     // when signaled
  int exit_code = 0;  // when not
  // "exited with code 3", "killed by signal 11 (Segmentation fault)"
  [[nodiscard]] std::string describe() const;
};

// Forks; the child runs `work`, restores the default action for crash signals first (so a
// sanitizer's handler does not turn a crash into an exit code), and exits with its result.
Result<ChildExit> run_in_child(const std::function<int()>& work);

}  // namespace schakel::plugin_host
