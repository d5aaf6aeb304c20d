#include "plugin_host/child_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace schakel::plugin_host {

std::string ChildExit::describe() const {
  if (!signaled) return "exited with code " + std::to_string(exit_code);
  const char* name = ::strsignal(signal);
  return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
}

Result<ChildExit> run_in_child(const std::function<int()>& work) {
  const pid_t pid = ::fork();
  if (pid < 0) return error(ErrorCode::io, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
      struct sigaction sa {};
      sa.sa_handler = SIG_DFL;
      ::sigaction(sig, &sa, nullptr);
    }
    int code = 70;  // EX_SOFTWARE if `work` throws
    try {
      code = work();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return error(ErrorCode::io, std::string("waitpid: ") + std::strerror(errno));
  }
  ChildExit out;
  if (WIFSIGNALED(status)) {
    out.signaled = true;
    out.signal = WTERMSIG(status);
  } else {
    out.exit_code = WEXITSTATUS(status);
  }
  return out;
}

}  // namespace schakel::plugin_host
