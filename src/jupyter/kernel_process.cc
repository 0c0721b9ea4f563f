#include "jupyter/kernel_process.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <thread>

#include "process/child_process.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

// The kernel's own output kept from a run (its banner, warnings, a traceback when it fails).
constexpr std::size_t kKeptOutput = 64 * 1024;

class RunKernelProcess final : public KernelProcess {
 public:
  RunKernelProcess(KernelRun run, UniqueFd done) : done_(std::move(done)) {
    thread_ = std::thread([this, run = std::move(run)] {
      outcome_ = run(cancel_, output_);
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(done_.get(), &one, sizeof(one));
    });
  }

  ~RunKernelProcess() override {
    cancel_.Cancel();
    if (thread_.joinable()) thread_.join();
  }

  int exit_fd() const override { return joined_ ? -1 : done_.get(); }

  bool HasExited() override {
    if (joined_) return true;
    if (!WaitReadable(done_.get(), std::chrono::milliseconds(0))) return false;
    thread_.join();
    joined_ = true;
    kept_ = output_.Finish().output;
    return true;
  }

  std::string ExitDescription() const override {
    if (!joined_) return "running";
    return outcome_ ? *outcome_ : outcome_.error().message();
  }

  bool SignalInterrupt() override { return false; }
  void Terminate() override { cancel_.Cancel(); }
  void Kill() override { cancel_.Cancel(); }

  std::string OutputTail(std::size_t max_bytes) const override {
    if (!joined_) return {};
    std::string tail = !outcome_ ? outcome_.error().message() + "\n" + kept_ : kept_;
    if (tail.size() > max_bytes) tail.erase(0, tail.size() - max_bytes);
    return tail;
  }

 private:
  CancellationToken cancel_;
  OutputCollector output_{kKeptOutput};
  Result<std::string> outcome_ = std::string();
  UniqueFd done_;
  std::thread thread_;
  bool joined_ = false;
  std::string kept_;
};

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

Result<std::unique_ptr<KernelProcess>> StartKernelRun(KernelRun run) {
  UniqueFd done(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!done.valid()) return ErrnoError("eventfd", errno);
  return std::make_unique<RunKernelProcess>(std::move(run), std::move(done));
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
