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
  if (auto built = runner_view->BuildView(view_options, &(*loop)->files()); !built) {
    return tl::unexpected(built.error());
  }
  impl->loop = std::move(*loop);
  impl->options = std::move(options);
  // No trial run: building the view above has already used what a host most often lacks (user
  // and mount namespaces, idmapped mounts), the first slot alongside it the network namespace
  // and the cgroup, and a setup step that still fails later is that call's error, naming the
  // step. A trial run cost every executor a whole sandbox start (half the overhead of a
  // one-shot `codeexec run --executor sandbox`).
  SandboxExecutor executor(std::move(impl));
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
