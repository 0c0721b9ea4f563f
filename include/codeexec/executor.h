// CodeExecutor: the interface every executor implements (local, docker, jupyter, sandbox, and
// the user's own), and the one contract they all keep.
//
// An executor runs a call's code blocks in order and stops at the first block that fails. The
// user's code failing is a normal CodeResult; only the executor itself failing (bad
// configuration, a peer that cannot be reached) is an Error. The result has a BlockResult for
// each block run; with an event sink in the ExecutionOptions, the call also reports what happens
// as it happens (events.h).
//
// Threads. ExecuteCodeBlocks may be called from several threads at once. Executors that can run
// several calls at once (local, sandbox) do; an executor with one kernel or one container runs
// them one at a time, in the order the calls arrived. Stop() and Restart() may be called from any
// thread, also while calls run: they cancel what runs (those calls return results with status
// cancelled, as if their own token had been cancelled), wait until every call has returned, and
// then act. Calls that arrive during a Restart() wait for it; calls after Stop() fail with
// kFailedPrecondition. An event sink must not call the executor.
//
// Lifetime: executors are movable (not while calls run), not copyable. Stop() releases what the
// executor holds (processes, containers, kernels, a temporary work folder); it is idempotent and
// also runs from the destructor.
//
// To write a custom executor, derive from CodeExecutor and implement DoExecuteCodeBlocks,
// DoRestart and DoStop; the base class keeps the contract above around them. An executor that
// emits no events still works with a sink: the base class reports each block of its result as a
// block_start, one stdout event with the block's output, and a block_end. Register a factory with
// ExecutorRegistry to make it available by name (examples/custom_executor.cc).
#ifndef CODEEXEC_EXECUTOR_H_
#define CODEEXEC_EXECUTOR_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "codeexec/events.h"
#include "codeexec/extractor.h"
#include "codeexec/types.h"

namespace codeexec {

// What a caller may set for one call.
struct ExecutionOptions {
  // Cancels the call from any thread: the running block's processes are killed, its output so
  // far kept, "\nCancelled" appended (exit code 125).
  CancellationToken cancel{};
  // Receives the call's events as they happen. Empty: none.
  EventSink on_event{};
  // Replaces the executor's timeout for this call's blocks: from 1 second to 30 days.
  std::optional<std::chrono::milliseconds> timeout{};
  // The bytes each block's program reads on its standard input. Unset: /dev/null (code waiting
  // for input sees end of file). Executors without standard input (Jupyter) refuse a call that
  // sets it or `args` with kInvalidArgument.
  std::optional<std::string> standard_input{};
  // Arguments for each block's program, after its own file: `python tmp_code.py ARGS...`.
  std::vector<std::string> args{};
};

// What an executor's DoExecuteCodeBlocks receives for one call.
class ExecutionContext {
 public:
  ExecutionContext(const ExecutionOptions& options, CancellationToken cancel)
      : options_(options), cancel_(std::move(cancel)) {}

  // Cancelled by the caller's token, or by Stop() and Restart().
  const CancellationToken& cancel() const { return cancel_; }
  // The call's timeout, or the executor's own.
  std::chrono::milliseconds TimeoutOr(std::chrono::milliseconds executor_timeout) const {
    return options_.timeout.value_or(executor_timeout);
  }
  const std::optional<std::string>& standard_input() const { return options_.standard_input; }
  const std::vector<std::string>& args() const { return options_.args; }
  // Whether anyone receives events (an executor may skip building them otherwise).
  bool streaming() const { return static_cast<bool>(options_.on_event); }
  // Passes `event` to the caller's sink, if any. Called by one thread at a time.
  void Emit(const ExecutionEvent& event) const;
  bool emitted() const { return emitted_; }

 private:
  const ExecutionOptions& options_;
  CancellationToken cancel_;
  mutable bool emitted_ = false;
};

class CodeExecutor {
 public:
  CodeExecutor();
  CodeExecutor(const CodeExecutor&) = delete;
  CodeExecutor& operator=(const CodeExecutor&) = delete;
  CodeExecutor(CodeExecutor&& other) noexcept;
  CodeExecutor& operator=(CodeExecutor&& other) noexcept;
  virtual ~CodeExecutor();

  // Runs `blocks` in order and returns what happened. An empty list gives exit code 0 and empty
  // output. Fails with kInvalidArgument for an out-of-range timeout, kFailedPrecondition after
  // Stop().
  Result<CodeResult> ExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                       const ExecutionOptions& options = {});
  Result<CodeResult> ExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                       const CancellationToken& cancel);

  // Returns the executor to a fresh state (a new kernel, a restarted container), after
  // cancelling and waiting for the calls that run. Executors without state to reset succeed and
  // log a warning.
  Result<void> Restart();

  // Cancels and waits for the calls that run, then releases everything the executor holds.
  // Idempotent.
  Result<void> Stop();

  // The extractor that finds the blocks this executor runs (Markdown fences by default).
  virtual const CodeExtractor& code_extractor() const;

 protected:
  virtual Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                 const ExecutionContext& context) = 0;
  virtual Result<void> DoRestart() = 0;
  virtual Result<void> DoStop() = 0;

 private:
  class Gate;
  std::unique_ptr<Gate> gate_;
};

}  // namespace codeexec

#endif  // CODEEXEC_EXECUTOR_H_
