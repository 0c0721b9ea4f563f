#include "jupyter/sandboxed_kernel.h"

#include <fmt/format.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "core/confined_folder.h"
#include "process/output_collector.h"
#include "process/unique_fd.h"
#include "sandbox/new_sandbox_runner.h"

namespace codeexec::jupyter {
namespace {

// The kernel's own output (its banner, warnings, a traceback when it fails to start).
constexpr std::size_t kKeptOutput = 64 * 1024;
// A kernel runs until it is stopped; the run's deadline is only there because runs have one.
constexpr auto kForever = std::chrono::hours(24 * 365 * 10);

// One sandbox run holding the kernel, on a thread; `done_` becomes readable when it ends.
class SandboxedKernelProcess final : public KernelProcess {
 public:
  SandboxedKernelProcess(SandboxRunner& runner, KernelLaunch launch, UniqueFd done)
      : runner_(runner), env_(std::move(launch.env)), done_(std::move(done)) {
    step_.argv = std::move(launch.argv);
    step_.env = &env_;
    step_.working_folder = launch.cwd.string();
    limits_.deadline = std::chrono::steady_clock::now() + kForever;
    thread_ = std::thread([this] {
      outcome_ = runner_.Run(step_, limits_, cancel_, output_);
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(done_.get(), &one, sizeof(one));
    });
  }

  ~SandboxedKernelProcess() override {
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
    if (!outcome_) return "could not start in the sandbox: " + outcome_.error().message();
    if (outcome_->memory_limit_exceeded) return "killed at the sandbox's memory limit";
    if (outcome_->policy_violation) return "killed for a forbidden system call";
    if (outcome_->cancelled) return "killed";
    if (outcome_->signal != 0) {
      return fmt::format("killed by signal {} ({})", outcome_->signal, strsignal(outcome_->signal));
    }
    return fmt::format("exit code {}", outcome_->exit_code);
  }

  bool SignalInterrupt() override { return false; }
  // PID 1 of the namespace takes no SIGTERM from outside: both end it at once.
  void Terminate() override { cancel_.Cancel(); }
  void Kill() override { cancel_.Cancel(); }

  std::string OutputTail(std::size_t max_bytes) const override {
    if (!joined_) return {};
    std::string tail = !outcome_ ? outcome_.error().message() + "\n" + kept_ : kept_;
    if (tail.size() > max_bytes) tail.erase(0, tail.size() - max_bytes);
    return tail;
  }

 private:
  SandboxRunner& runner_;
  Environment env_;
  Step step_;
  RunLimits limits_;
  CancellationToken cancel_;
  OutputCollector output_{kKeptOutput};
  Result<RunOutcome> outcome_ = RunOutcome{};
  UniqueFd done_;
  std::thread thread_;
  bool joined_ = false;
  std::string kept_;
};

}  // namespace

KernelSandbox::KernelSandbox() = default;
KernelSandbox::~KernelSandbox() = default;

Result<std::unique_ptr<KernelSandbox>> KernelSandbox::Create(const std::filesystem::path& work_dir,
                                                             const JupyterSandboxOptions& options) {
  auto runner = NewSandboxRunner(options.limits, options.network, options.host_uid,
                                 options.host_gid, "a Jupyter kernel in the sandbox");
  if (!runner) return tl::unexpected(runner.error());
  auto work = ConfinedFolder::Open(work_dir);
  if (!work) return tl::unexpected(work.error());
  SandboxViewOptions view_options;
  view_options.work_dir = work_dir;
  view_options.host_uid = options.host_uid;
  view_options.host_gid = options.host_gid;
  view_options.read_only_paths = options.read_only_paths;
  view_options.tmp_bytes = options.limits.tmp_bytes;
  view_options.upper_layer = false;  // the host must reach the kernel's sockets as they appear
  auto view = SandboxView::Build(view_options);
  if (!view) return tl::unexpected(view.error());
  std::unique_ptr<KernelSandbox> sandbox(new KernelSandbox());
  sandbox->work_ = std::make_unique<ConfinedFolder>(std::move(*work));
  sandbox->runner_ = std::move(*runner);
  sandbox->runner_->SetView(std::move(*view), sandbox->work_.get());
  return sandbox;
}

KernelLauncher KernelSandbox::launcher() {
  return [this](KernelLaunch launch) -> Result<std::unique_ptr<KernelProcess>> {
    UniqueFd done(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!done.valid()) return ErrnoError("eventfd", errno);
    return std::make_unique<SandboxedKernelProcess>(*runner_, std::move(launch), std::move(done));
  };
}

EnvironmentOptions SandboxedKernelEnvironment(const EnvironmentOptions& requested) {
  EnvironmentOptions env;
  env.clear = true;
  env.set = SandboxExecutorOptions().env.set;
  for (const auto& [name, value] : requested.set) env.set[name] = value;
  for (const auto& name : requested.unset) env.set.erase(name);
  return env;
}

}  // namespace codeexec::jupyter
