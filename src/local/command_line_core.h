// CommandLineCore: the block loop shared by the executors that run each code block as processes
// on this host (the local executor, and the sandbox executor, which runs the same steps inside
// namespaces).
//
// It owns the work folder, resolves languages and interpreters, applies the file-name rule,
// writes each block, runs its compile and run steps through a ProcessRunner, turns what happened
// into a CodeResult (notes, exit codes, statuses) and keeps the run log. Only how a step is
// started and supervised differs between executors: that is the ProcessRunner seam.
//
// Threads: Execute may run on several threads at once; Stop must not race an Execute.
#ifndef CODEEXEC_SRC_LOCAL_COMMAND_LINE_CORE_H_
#define CODEEXEC_SRC_LOCAL_COMMAND_LINE_CORE_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/local_executor.h"
#include "core/confined_folder.h"
#include "process/run.h"

namespace codeexec {

// Starts one step of a block (argv, environment, working folder in `spec`) and supervises it to
// the end under `limits`, reading its output into `output`. Errors are for failures to start;
// everything the program does is in the RunOutcome. Must be thread-safe.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<RunOutcome> Run(const SpawnSpec& spec, const RunLimits& limits,
                                 const CancellationToken& cancel, OutputCollector& output) = 0;
  // The program that runs `spec`'s steps: the first of spec.tools found where the steps run (a
  // container looks inside itself). The default looks on this host's `path_env`. Called once per
  // language and executor.
  virtual std::optional<std::string> ResolveTool(const LanguageSpec& spec,
                                                 std::string_view path_env) {
    return FindTool(spec, path_env);
  }
};

// A plain child process of this host (RunToCompletion).
class DirectRunner final : public ProcessRunner {
 public:
  Result<RunOutcome> Run(const SpawnSpec& spec, const RunLimits& limits,
                         const CancellationToken& cancel, OutputCollector& output) override;
};

class CommandLineCore {
 public:
  // Validates `options` (see LocalCommandLineCodeExecutor::Create for the errors) and prepares the
  // work folder and run log.
  static Result<std::unique_ptr<CommandLineCore>> Create(LocalExecutorOptions options,
                                                         std::unique_ptr<ProcessRunner> runner);
  // Create's checks of `options` alone, without touching the work folder.
  static Result<void> Validate(const LocalExecutorOptions& options);
  ~CommandLineCore();

  Result<CodeResult> Execute(const std::vector<CodeBlock>& blocks, const CancellationToken& cancel);
  // Idempotent: closes the run log and removes a temporary work folder.
  Result<void> Stop();

  const std::filesystem::path& work_dir() const;  // canonical
  // Link-safe file operations in the work folder.
  const ConfinedFolder& files() const;
  const LocalExecutorOptions& options() const;

 private:
  struct State;
  explicit CommandLineCore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_LOCAL_COMMAND_LINE_CORE_H_
