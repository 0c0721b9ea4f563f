#include "jupyter/sandboxed_kernel.h"

#include <fmt/format.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>

#include "core/confined_folder.h"
#include "process/output_collector.h"
#include "sandbox/new_sandbox_runner.h"

namespace codeexec::jupyter {
namespace {

// A kernel runs until it is stopped; the run's deadline is only there because runs have one.
constexpr auto kForever = std::chrono::hours(24 * 365 * 10);

std::string Describe(const RunOutcome& outcome) {
  if (outcome.memory_limit_exceeded) return "killed at the sandbox's memory limit";
  if (outcome.policy_violation) return "killed for a forbidden system call";
  if (outcome.cancelled) return "killed";
  if (outcome.signal != 0) {
    return fmt::format("killed by signal {} ({})", outcome.signal, strsignal(outcome.signal));
  }
  return fmt::format("exit code {}", outcome.exit_code);
}

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
  std::unique_ptr<KernelSandbox> sandbox(new KernelSandbox());
  sandbox->work_ = std::make_unique<ConfinedFolder>(std::move(*work));
  sandbox->runner_ = std::move(*runner);
  if (auto built = sandbox->runner_->BuildView(view_options, sandbox->work_.get()); !built) {
    return tl::unexpected(built.error());
  }
  return sandbox;
}

KernelLauncher KernelSandbox::launcher() {
  return [this](KernelLaunch launch) {
    // PID 1 of the namespace takes no signal from outside: cancelling the run kills it, and with
    // it every process of the kernel.
    return StartKernelRun(
        [this, launch = std::move(launch)](const CancellationToken& cancel,
                                           OutputCollector& output) -> Result<std::string> {
          Step step;
          step.argv = launch.argv;
          step.env = &launch.env;
          step.working_folder = launch.cwd.string();
          RunLimits limits;
          limits.deadline = std::chrono::steady_clock::now() + kForever;
          auto outcome = runner_->Run(step, limits, cancel, output);
          if (!outcome) {
            return MakeError(outcome.error().code(),
                             "could not start in the sandbox: " + outcome.error().message());
          }
          return Describe(*outcome);
        });
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
