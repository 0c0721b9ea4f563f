// LocalCommandLineCodeExecutor: runs each code block as a child process of this host.
//
// NO ISOLATION. The code runs with this process's user, files and network. Use it for code you
// would run yourself; for code you do not trust, use the Docker or sandbox executor.
//
// Blocks follow the rules of command_line_options.h. Each block's program runs in a new session;
// a block that runs past its timeout has its whole process group killed (SIGTERM, then SIGKILL
// after `kill_grace`). When a block's main process exits, any process it left running in its
// process group is killed too, so nothing outlives the call.
//
// Threads: see executor.h; calls run at the same time, each block in its own processes.
// Restart() does nothing (there is no state) and logs a warning. Stop() removes `work_dir` only
// when the executor created it as a temporary folder.
//
// The host program must not set SIGCHLD to SIG_IGN or reap children it did not start
// (waitpid(-1, ...)): the executor waits for its own children through pidfds.
#ifndef CODEEXEC_LOCAL_EXECUTOR_H_
#define CODEEXEC_LOCAL_EXECUTOR_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codeexec/command_line_options.h"
#include "codeexec/executor.h"

namespace codeexec {

// The shared options (command_line_options.h), and a virtual environment.
struct LocalExecutorOptions : CommandLineOptions {
  // A Python virtual environment: its bin/ goes first on PATH, VIRTUAL_ENV is set, and its
  // interpreter runs python blocks.
  std::filesystem::path virtual_env;
};

class LocalCommandLineCodeExecutor final : public CodeExecutor {
 public:
  // Validates the options and prepares the work folder. Errors: timeout < 1 s, output_limit 0,
  // a module name that is not a Python identifier, a work folder that cannot be created, an
  // invalid virtual environment, an unknown language in execution_policies.
  static Result<LocalCommandLineCodeExecutor> Create(LocalExecutorOptions options = {});

  LocalCommandLineCodeExecutor(LocalCommandLineCodeExecutor&&) noexcept;
  LocalCommandLineCodeExecutor& operator=(LocalCommandLineCodeExecutor&&) noexcept;
  ~LocalCommandLineCodeExecutor() override;

  const std::filesystem::path& work_dir() const;
  const LocalExecutorOptions& options() const;

  // Builds an executor from a JSON configuration (the registry's "local" factory). Keys:
  // timeout (seconds), work_dir, virtual_env, python, output_limit (bytes), kill_grace (seconds),
  // execution_policies ({"lang": "run"|"save"}), env ({"NAME": "value"}), unset_env ([...]),
  // clear_env, functions_module, cleanup_code_files, run_log. Unknown keys are errors.
  static Result<std::unique_ptr<CodeExecutor>> FromJson(std::string_view json_config);

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext& context) override;
  Result<void> DoRestart() override;
  Result<void> DoStop() override;

 private:
  struct Impl;
  explicit LocalCommandLineCodeExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec

#endif  // CODEEXEC_LOCAL_EXECUTOR_H_
