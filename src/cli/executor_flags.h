// What the subcommands that run code share: the executor flags (--executor, --config and the
// shortcuts on top), reading a message file, and Ctrl-C/SIGTERM turned into cancellation.
#ifndef CODEEXEC_SRC_CLI_EXECUTOR_FLAGS_H_
#define CODEEXEC_SRC_CLI_EXECUTOR_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "codeexec/executor.h"

namespace codeexec::cli {

struct ExecutorFlags {
  std::string executor = "local";
  std::string config = "{}";
  std::optional<double> timeout;
  std::optional<std::string> work_dir;
  std::optional<uint64_t> output_limit;
  std::optional<std::string> python;
  std::optional<std::string> image;       // the docker executor's image
  std::optional<std::string> kernel;      // the jupyter executor's kernel name
  std::optional<std::string> output_dir;  // where the jupyter executor saves images and HTML
};

// Registers -e/--executor, --config, -t/--timeout, -w/--work-dir, --output-limit, --python,
// --image.
void AddExecutorFlags(CLI::App* command, ExecutorFlags* flags);

// The executor the flags describe, from the default registry. A configuration that is not a JSON
// object, or that the executor refuses, is kInvalidArgument.
Result<std::unique_ptr<CodeExecutor>> CreateExecutor(const ExecutorFlags& flags);

// The exit status for a failure to create an executor: usage (2) for bad flags or names, 1 else.
int ExecutorErrorStatus(const Error& error);

// Prints "codeexec: MESSAGE" on stderr and returns `status`.
int Fail(int status, std::string_view message);

// The whole of `file` ("-": standard input), or a message saying why it cannot be read.
std::optional<std::string> ReadMessageFile(const std::string& file, std::string* error);

// TEXT, or the contents of FILE for "@FILE"; nullopt with a message when FILE cannot be read.
std::optional<std::string> TextOrFile(const std::string& value, std::string* error);

// Ctrl-C or SIGTERM cancels `token` while this object lives, so that running code's process tree
// is killed rather than left running in its own session. The first one blocks the signals in the
// calling thread (so in every thread started after it) and starts one waiter thread that lives as
// long as the process. A signal that comes while no SignalCanceller lives is dropped: by then the
// command is cleaning up (removing folders, containers) and ends by itself.
class SignalCanceller {
 public:
  explicit SignalCanceller(CancellationToken token);
  ~SignalCanceller();
  SignalCanceller(const SignalCanceller&) = delete;
  SignalCanceller& operator=(const SignalCanceller&) = delete;

  const CancellationToken& token() const { return token_; }

 private:
  CancellationToken token_;
};

}  // namespace codeexec::cli

#endif  // CODEEXEC_SRC_CLI_EXECUTOR_FLAGS_H_
