#include "codeexec/sandbox_executor.h"

#include <fmt/format.h>

#include "codeexec/log.h"
#include "command_line/block_loop.h"
#include "sandbox/new_sandbox_runner.h"

namespace codeexec {

namespace fs = std::filesystem;

SandboxExecutorOptions::SandboxExecutorOptions() {
  env.clear = true;
  env.set = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
             {"HOME", "/tmp"},
             {"LANG", "C.UTF-8"},
             {"TMPDIR", "/tmp"}};
}

struct SandboxExecutor::Impl {
  SandboxExecutorOptions options;
  std::unique_ptr<BlockLoop> loop;
};

Result<SandboxExecutor> SandboxExecutor::Create(SandboxExecutorOptions options) {
  auto runner = NewSandboxRunner(options.limits, options.network, options.host_uid,
                                 options.host_gid, "the sandbox executor");
  if (!runner) return tl::unexpected(runner.error());
  auto impl = std::make_unique<Impl>();
  SandboxRunner* runner_view = runner->get();
  auto loop = BlockLoop::Create(options, "", std::move(*runner));
  if (!loop) return tl::unexpected(loop.error());
  SandboxViewOptions view_options;
  view_options.work_dir = (*loop)->work_dir();
  view_options.host_uid = options.host_uid;
  view_options.host_gid = options.host_gid;
  view_options.read_only_paths = options.read_only_paths;
  view_options.tmp_bytes = options.limits.tmp_bytes;
  view_options.upper_layer = options.limits.work_dir_bytes > 0 || options.limits.work_dir_files > 0;
  auto view = SandboxView::Build(view_options);
  if (!view) return tl::unexpected(view.error());
  runner_view->SetView(std::move(*view), &(*loop)->files());
  impl->loop = std::move(*loop);
  impl->options = std::move(options);
  SandboxExecutor executor(std::move(impl));
  // One empty run proves this host can build the sandbox, so that a missing kernel feature is
  // an error here, with the step that failed, rather than in the middle of an agent's work.
  Environment no_env;
  Step probe_step;
  probe_step.argv = {"/bin/sh", "-c", "true"};
  probe_step.env = &no_env;
  probe_step.working_folder = "/";
  RunLimits probe_limits;
  probe_limits.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  OutputCollector probe_output(4096);
  auto probe = runner_view->Run(probe_step, probe_limits, CancellationToken(), probe_output);
  if (!probe) return tl::unexpected(probe.error());
  if (probe->exit_code != 0) {
    return MakeError(ErrorCode::kUnavailable, "the sandbox could not run a trivial program: " +
                                                  probe_output.Finish().output);
  }
  return executor;
}

SandboxExecutor::SandboxExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SandboxExecutor::SandboxExecutor(SandboxExecutor&&) noexcept = default;
SandboxExecutor& SandboxExecutor::operator=(SandboxExecutor&& other) noexcept {
  if (this != &other) {
    if (impl_) [[maybe_unused]]
      auto stopped = Stop();
    CodeExecutor::operator=(std::move(other));
    impl_ = std::move(other.impl_);
  }
  return *this;
}
SandboxExecutor::~SandboxExecutor() {
  if (impl_) [[maybe_unused]]
    auto stopped = Stop();
}

const fs::path& SandboxExecutor::work_dir() const { return impl_->loop->work_dir(); }
const SandboxExecutorOptions& SandboxExecutor::options() const { return impl_->options; }

Result<void> SandboxExecutor::DoRestart() {
  Log(LogLevel::kWarning,
      "Restarting the sandbox executor is not supported: no state survives a block. No action "
      "is taken.");
  return {};
}

Result<void> SandboxExecutor::DoStop() { return impl_->loop->Stop(); }

Result<CodeResult> SandboxExecutor::DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                        const ExecutionContext& context) {
  return impl_->loop->Execute(blocks, context);
}

}  // namespace codeexec
