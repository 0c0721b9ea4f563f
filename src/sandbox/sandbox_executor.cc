#include "codeexec/sandbox_executor.h"

#include <fmt/format.h>
#include <unistd.h>

#include "codeexec/log.h"
#include "core/work_folder.h"
#include "local/command_line_core.h"
#include "sandbox/init_program.h"
#include "sandbox/sandbox_runner.h"

namespace codeexec {

namespace fs = std::filesystem;

LocalExecutorOptions SandboxExecutorOptions::DefaultCommandLine() {
  LocalExecutorOptions options;
  options.env.clear = true;
  options.env.set = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                     {"HOME", "/tmp"},
                     {"LANG", "C.UTF-8"},
                     {"TMPDIR", "/tmp"}};
  return options;
}

struct SandboxExecutor::Impl {
  SandboxExecutorOptions options;
  fs::path base;
  std::unique_ptr<CommandLineCore> core;

  ~Impl() {
    std::error_code ignored;
    if (!base.empty()) fs::remove_all(base, ignored);
  }
};

Result<SandboxExecutor> SandboxExecutor::Create(SandboxExecutorOptions options) {
  if (geteuid() != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the sandbox executor needs root (it creates cgroups and maps user ids); "
                     "run as root, or use the docker executor");
  }
  auto cgroups = CgroupSystem::Detect();
  if (!cgroups) return tl::unexpected(cgroups.error());
  auto seccomp = SeccompFilter::Build();
  if (!seccomp) return tl::unexpected(seccomp.error());
  auto init_program = SealedInitProgram();
  if (!init_program) return tl::unexpected(init_program.error());
  auto impl = std::make_unique<Impl>();
  // The executor's own host folder: the root skeleton the child mounts its view on (in its own
  // mount namespace: the host never sees those mounts) and the copy of /etc.
  auto base = MakeTempFolder("codeexec-sandbox");
  if (!base) return tl::unexpected(base.error());
  impl->base = *base;

  auto runner =
      std::make_unique<SandboxRunner>(std::move(*cgroups), std::move(*seccomp),
                                      std::move(*init_program), options.limits, options.network);
  SandboxRunner* runner_view = runner.get();
  auto core = CommandLineCore::Create(options.command_line, std::move(runner));
  if (!core) return tl::unexpected(core.error());
  auto mounts = MountPlan::Build(
      {impl->base, (*core)->work_dir(), options.read_only_paths, options.limits.tmp_bytes});
  if (!mounts) return tl::unexpected(mounts.error());
  runner_view->SetMountPlan(std::move(*mounts));
  impl->core = std::move(*core);
  impl->options = std::move(options);
  SandboxExecutor executor(std::move(impl));
  // One empty run proves this host can build the sandbox, so that a missing kernel feature is
  // an error here, with the step that failed, rather than in the middle of an agent's work.
  auto probe = executor.impl_->core->Execute({{"sh", "true"}}, CancellationToken());
  if (!probe) return tl::unexpected(probe.error());
  if (probe->exit_code != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "the sandbox could not run a trivial program: " + probe->output);
  }
  return executor;
}

SandboxExecutor::SandboxExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SandboxExecutor::SandboxExecutor(SandboxExecutor&&) noexcept = default;
SandboxExecutor& SandboxExecutor::operator=(SandboxExecutor&& other) noexcept {
  if (this != &other) {
    if (impl_) [[maybe_unused]]
      auto stopped = Stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
SandboxExecutor::~SandboxExecutor() {
  if (impl_) [[maybe_unused]]
    auto stopped = Stop();
}

const fs::path& SandboxExecutor::work_dir() const { return impl_->core->work_dir(); }
const SandboxExecutorOptions& SandboxExecutor::options() const { return impl_->options; }

Result<void> SandboxExecutor::Restart() {
  Log(LogLevel::kWarning,
      "Restarting the sandbox executor is not supported: no state survives a block. No action "
      "is taken.");
  return {};
}

Result<void> SandboxExecutor::Stop() { return impl_->core->Stop(); }

Result<CodeResult> SandboxExecutor::DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                        const CancellationToken& cancel) {
  return impl_->core->Execute(blocks, cancel);
}

}  // namespace codeexec
