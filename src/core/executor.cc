#include "codeexec/executor.h"

#include <condition_variable>
#include <list>
#include <mutex>

#include "core/limits.h"

namespace codeexec {

// The calls that run, so that Stop() and Restart() can cancel them and wait for them.
class CodeExecutor::Gate {
 public:
  // Admits a call (waiting while a Restart() runs). Its token is cancelled by Stop()/Restart().
  Result<std::list<CancellationToken>::iterator> Enter(CancellationToken token) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !exclusive_; });
    if (stopped_) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the executor was stopped; create a new one to run more code");
    }
    return running_.insert(running_.end(), std::move(token));
  }

  void Leave(std::list<CancellationToken>::iterator call) {
    std::lock_guard lock(mutex_);
    running_.erase(call);
    changed_.notify_all();
  }

  // Cancels every call that runs and waits until none does; new calls wait meanwhile. Returns
  // false when the executor is already stopped (nothing to do).
  bool BeginExclusive() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !exclusive_; });
    if (stopped_) return false;
    exclusive_ = true;
    for (const CancellationToken& token : running_) token.Cancel();
    changed_.wait(lock, [&] { return running_.empty(); });
    return true;
  }

  void EndExclusive(bool stopped) {
    std::lock_guard lock(mutex_);
    exclusive_ = false;
    stopped_ = stopped_ || stopped;
    changed_.notify_all();
  }

  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::list<CancellationToken> running_;
  bool exclusive_ = false;
  bool stopped_ = false;
};

namespace {

// The events of a result, for an executor that emitted none itself.
void EmitFromResult(const CodeResult& result, const EventSink& sink) {
  for (std::size_t i = 0; i < result.blocks.size(); ++i) {
    const BlockResult& block = result.blocks[i];
    ExecutionEvent event;
    event.block = static_cast<int>(i);
    event.type = ExecutionEvent::Type::kBlockStart;
    event.language = block.language;
    event.code_file = block.code_file;
    sink(event);
    if (!block.output.empty()) {
      ExecutionEvent text;
      text.type = ExecutionEvent::Type::kStdout;
      text.block = event.block;
      text.text = block.output;
      sink(text);
    }
    ExecutionEvent end;
    end.type = ExecutionEvent::Type::kBlockEnd;
    end.block = event.block;
    end.exit_code = block.exit_code;
    end.status = block.status;
    end.duration = block.duration;
    sink(end);
  }
}

}  // namespace

void ExecutionContext::Emit(const ExecutionEvent& event) const {
  if (!options_.on_event) return;
  emitted_ = true;
  options_.on_event(event);
}

CodeExecutor::CodeExecutor() : gate_(std::make_unique<Gate>()) {}
CodeExecutor::~CodeExecutor() = default;

CodeExecutor::CodeExecutor(CodeExecutor&& other) noexcept : gate_(std::move(other.gate_)) {
  other.gate_ = std::make_unique<Gate>();
}

CodeExecutor& CodeExecutor::operator=(CodeExecutor&& other) noexcept {
  if (this != &other) {
    gate_ = std::move(other.gate_);
    other.gate_ = std::make_unique<Gate>();
  }
  return *this;
}

Result<CodeResult> CodeExecutor::ExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                   const CancellationToken& cancel) {
  ExecutionOptions options;
  options.cancel = cancel;
  return ExecuteCodeBlocks(blocks, options);
}

Result<CodeResult> CodeExecutor::ExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                   const ExecutionOptions& options) {
  if (options.timeout) {
    if (auto valid = CheckTimeout(*options.timeout); !valid) return tl::unexpected(valid.error());
  }
  // The call's own token: the caller's cancels it, and so do Stop() and Restart().
  CancellationToken token;
  auto call = gate_->Enter(token);
  if (!call) return tl::unexpected(call.error());
  uint64_t link = options.cancel.OnCancel([token] { token.Cancel(); });
  ExecutionContext context(options, token);
  auto result = DoExecuteCodeBlocks(blocks, context);
  options.cancel.RemoveCallback(link);
  gate_->Leave(*call);
  if (result && options.on_event && !context.emitted()) EmitFromResult(*result, options.on_event);
  return result;
}

Result<void> CodeExecutor::Restart() {
  if (!gate_->BeginExclusive()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the executor was stopped; create a new one to run more code");
  }
  auto restarted = DoRestart();
  gate_->EndExclusive(/*stopped=*/false);
  return restarted;
}

Result<void> CodeExecutor::Stop() {
  if (!gate_->BeginExclusive()) return {};
  auto stopped = DoStop();
  gate_->EndExclusive(/*stopped=*/true);
  return stopped;
}

const CodeExtractor& CodeExecutor::code_extractor() const {
  static const MarkdownCodeExtractor kMarkdown;
  return kMarkdown;
}

}  // namespace codeexec
