#include "codeexec/local_executor.h"

#include "codeexec/log.h"
#include "command_line/block_loop.h"

namespace codeexec {
namespace {

// A plain child process of this host (RunToCompletion).
class DirectRunner final : public StepRunner {
 public:
  Result<RunOutcome> Run(const Step& step, const RunLimits& limits, const CancellationToken& cancel,
                         OutputCollector& output) override {
    SpawnSpec spec;
    spec.program = step.argv.front();
    spec.argv = step.argv;
    spec.envp = step.env->envp();
    spec.cwd = step.working_folder;
    return RunToCompletion(spec, limits, cancel, output, step.standard_input);
  }
};

}  // namespace

struct LocalCommandLineCodeExecutor::Impl {
  LocalExecutorOptions options;
  std::unique_ptr<BlockLoop> loop;
};

Result<LocalCommandLineCodeExecutor> LocalCommandLineCodeExecutor::Create(
    LocalExecutorOptions options) {
  auto loop = BlockLoop::Create(options, options.virtual_env, std::make_unique<DirectRunner>());
  if (!loop) return tl::unexpected(loop.error());
  return LocalCommandLineCodeExecutor(
      std::make_unique<Impl>(Impl{std::move(options), std::move(*loop)}));
}

LocalCommandLineCodeExecutor::LocalCommandLineCodeExecutor(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
LocalCommandLineCodeExecutor::LocalCommandLineCodeExecutor(
    LocalCommandLineCodeExecutor&&) noexcept = default;
LocalCommandLineCodeExecutor& LocalCommandLineCodeExecutor::operator=(
    LocalCommandLineCodeExecutor&& other) noexcept {
  if (this != &other) {
    if (impl_) [[maybe_unused]]
      auto stopped = Stop();
    CodeExecutor::operator=(std::move(other));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

LocalCommandLineCodeExecutor::~LocalCommandLineCodeExecutor() {
  if (impl_) [[maybe_unused]]
    auto stopped = Stop();
}

const std::filesystem::path& LocalCommandLineCodeExecutor::work_dir() const {
  return impl_->loop->work_dir();
}
const LocalExecutorOptions& LocalCommandLineCodeExecutor::options() const { return impl_->options; }

Result<void> LocalCommandLineCodeExecutor::DoRestart() {
  Log(LogLevel::kWarning,
      "Restarting the local command line code executor is not supported: it keeps no state "
      "between executions. No action is taken.");
  return {};
}

Result<void> LocalCommandLineCodeExecutor::DoStop() { return impl_->loop->Stop(); }

Result<CodeResult> LocalCommandLineCodeExecutor::DoExecuteCodeBlocks(
    const std::vector<CodeBlock>& blocks, const ExecutionContext& context) {
  return impl_->loop->Execute(blocks, context);
}

}  // namespace codeexec
