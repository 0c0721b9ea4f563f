// BlockLoop: the block loop shared by the executors that run each code block as programs (the
// local executor on this host, the sandbox in namespaces, the Docker executor in a container).
//
// It owns the work folder, resolves languages and interpreters, applies the file-name rule,
// writes each block (through ConfinedFolder: no link followed, no FIFO opened), runs its compile
// and run steps through a StepRunner, reports the call's events, turns what happened into a
// CodeResult with a BlockResult per block (notes, exit codes, statuses) and keeps the run log.
// Only how a step is started and supervised differs between executors: that is the StepRunner
// seam, which says where the work folder is where steps run (the host's path, /workspace in a
// container) and receives steps whose paths are already there: nothing is rewritten.
//
// Threads: Execute may run on several threads at once; Stop must not race an Execute (the
// executors' base class guarantees it).
#ifndef CODEEXEC_SRC_COMMAND_LINE_BLOCK_LOOP_H_
#define CODEEXEC_SRC_COMMAND_LINE_BLOCK_LOOP_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/command_line_options.h"
#include "codeexec/executor.h"
#include "core/confined_folder.h"
#include "process/environment.h"
#include "process/run.h"

namespace codeexec {

// One program to run for a block: a compile or a run step.
struct Step {
  std::vector<std::string> argv;  // argv[0]: the program, as ResolveTool found it
  const Environment* env = nullptr;
  // Where it runs, as the runner sees the work folder (WorkFolderPath()).
  std::string working_folder;
  // Its standard input; nullptr: /dev/null.
  const std::string* standard_input = nullptr;
};

// Starts one step and supervises it to the end under `limits`, reading its output into `output`.
// Errors are for failures to start; everything the program does is in the RunOutcome. Must be
// thread-safe.
class StepRunner {
 public:
  virtual ~StepRunner() = default;

  // The work folder's path where steps run (the host's path, or /workspace in a container):
  // the block loop names files in steps' arguments under it.
  virtual std::string WorkFolderPath(const std::filesystem::path& host_work_dir) const {
    return host_work_dir.string();
  }
  virtual Result<RunOutcome> Run(const Step& step, const RunLimits& limits,
                                 const CancellationToken& cancel, OutputCollector& output) = 0;
  // The program that runs `spec`'s steps: the first of spec.tools found where the steps run (a
  // container looks inside itself, ending its search when `cancel` fires). The default looks on
  // this host's `path_env`. Called once per language and executor.
  virtual std::optional<std::string> ResolveTool(const LanguageSpec& spec,
                                                 std::string_view path_env,
                                                 const CancellationToken& /*cancel*/) {
    return FindTool(spec, path_env);
  }
};

class BlockLoop {
 public:
  // Validates `options` (CheckOptions) and prepares the work folder and run log. A
  // `virtual_env` puts its bin/ first on PATH and runs python with its interpreter.
  static Result<std::unique_ptr<BlockLoop>> Create(CommandLineOptions options,
                                                   std::filesystem::path virtual_env,
                                                   std::unique_ptr<StepRunner> runner);
  // Create's checks of `options` alone, without touching the work folder: timeout, output
  // limit, kill grace, functions module, execution policies, functions.
  static Result<void> CheckOptions(const CommandLineOptions& options);
  ~BlockLoop();

  Result<CodeResult> Execute(const std::vector<CodeBlock>& blocks, const ExecutionContext& context);
  // Idempotent: closes the run log and removes a temporary work folder.
  Result<void> Stop();

  const std::filesystem::path& work_dir() const;  // canonical
  // Link-safe file operations in the work folder.
  const ConfinedFolder& files() const;
  const CommandLineOptions& options() const;

 private:
  struct State;
  explicit BlockLoop(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_COMMAND_LINE_BLOCK_LOOP_H_
