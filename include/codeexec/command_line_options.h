// CommandLineOptions: what every executor that runs blocks as programs shares (the local,
// sandbox and Docker executors, AutoGen's "command line" executors), and the rules they share.
//
// Each block is written to a file in `work_dir` (named by a first-line `# filename: NAME`
// comment, or `tmp_code_<hash>.<ext>`; a name outside the work folder, or reaching through a
// link in it, gives "Filename is not in the workspace"), compiled when its language needs it,
// and run with the work folder as its current directory, stdin from /dev/null unless the call
// gives standard input. Blocks run in order; the first block that exits non-zero stops the call.
// A block that runs past `timeout` is killed with everything it started; the output so far is
// kept, "\nTimeout" appended, exit code 124. Cancellation does the same with "\nCancelled" and
// 125. Output beyond `output_limit` is read and discarded, and the kept output ends with a
// truncation note. Each block run appends one JSON line to `work_dir/codeexec-runs.jsonl`.
#ifndef CODEEXEC_COMMAND_LINE_OPTIONS_H_
#define CODEEXEC_COMMAND_LINE_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "codeexec/environment.h"
#include "codeexec/functions.h"
#include "codeexec/languages.h"

namespace codeexec {

struct CommandLineOptions {
  // Per block, compile step included. From 1 second to 30 days.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Where files are written and code runs. Created (with parents) if missing. Empty: a new
  // temporary folder, removed at Stop().
  std::filesystem::path work_dir;
  // The Python interpreter (a name on the code's PATH or a path). Empty: the first of python3,
  // python.
  std::string python;
  // Per-language run/save switches (by name or alias), over the table's defaults.
  std::map<std::string, ExecutionPolicy> execution_policies;
  // The code's environment (see environment.h).
  EnvironmentOptions env;
  // Bytes of output kept per call (stdout and stderr together). At least 1.
  std::size_t output_limit = 1 << 20;
  // Between SIGTERM and SIGKILL on timeout or cancellation, where the executor can wait.
  std::chrono::milliseconds kill_grace{200};
  // Python user functions, written to `work_dir/<functions_module>.py` before the first
  // execution (their packages pip-installed first), so that code can import them.
  std::vector<PythonFunction> functions;
  std::string functions_module = "functions";
  // Delete each block's source file (and compiled program) after it ran.
  bool cleanup_code_files = false;
  // Append a JSON line per block to work_dir/codeexec-runs.jsonl.
  bool run_log = true;
  LanguageTable languages = LanguageTable::Default();
};

}  // namespace codeexec

#endif  // CODEEXEC_COMMAND_LINE_OPTIONS_H_
