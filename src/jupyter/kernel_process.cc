#include "jupyter/kernel_process.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "process/child_process.h"

namespace codeexec::jupyter {
namespace {

class HostKernelProcess final : public KernelProcess {
 public:
  explicit HostKernelProcess(ChildProcess child) : child_(std::move(child)) {}

  int exit_fd() const override { return exit_ ? -1 : child_.pidfd(); }

  bool HasExited() override {
    if (exit_) return true;
    if (!WaitReadable(child_.pidfd(), std::chrono::milliseconds(0))) return false;
    child_.SignalGroup(SIGKILL);  // what the kernel started and left behind
    auto exit = child_.Reap();
    exit_ = exit ? *exit : ChildProcess::Exit{-1, 0};
    return true;
  }

  std::string ExitDescription() const override {
    if (!exit_) return "running";
    if (exit_->signal != 0) {
      return fmt::format("killed by signal {} ({})", exit_->signal, strsignal(exit_->signal));
    }
    return fmt::format("exit code {}", exit_->exit_code);
  }

  bool SignalInterrupt() override {
    if (!exit_) child_.SignalGroup(SIGINT);
    return true;
  }
  void Terminate() override {
    if (!exit_) child_.SignalGroup(SIGTERM);
  }
  void Kill() override {
    if (!exit_) child_.SignalGroup(SIGKILL);
  }
  pid_t pid() const override { return child_.pid(); }

 private:
  ChildProcess child_;
  std::optional<ChildProcess::Exit> exit_;
};

}  // namespace

bool WaitReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd item{fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&item, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

Result<std::unique_ptr<KernelProcess>> SpawnHostKernel(KernelLaunch launch) {
  launch.env.Set("JPY_PARENT_PID", std::to_string(getpid()));
  SpawnSpec spawn;
  spawn.program = launch.program;
  spawn.argv = std::move(launch.argv);
  spawn.envp = launch.env.envp();
  spawn.cwd = launch.cwd.string();
  spawn.output_fd = launch.log_fd;
  auto child = Spawn(spawn);
  if (!child) return tl::unexpected(child.error());
  return std::make_unique<HostKernelProcess>(std::move(*child));
}

}  // namespace codeexec::jupyter
