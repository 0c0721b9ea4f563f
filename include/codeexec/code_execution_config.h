// AutoGen's code_execution_config: the JSON with which an AutoGen user gives an agent its
// executor, read as AutoGen 0.2's ConversableAgent reads it, so that such a configuration works
// here unchanged. The agent (ConversableAgent::Create in agent.h) and `codeexec reply` / `codeexec
// chat --code-execution-config` take it.
//
//   false                                                 code execution off
//   {"work_dir": "coding", "use_docker": false}           the local executor, in "coding"
//   {"use_docker": true}, {"use_docker": "python:3-slim"} the docker executor (with that image)
//   {"executor": "commandline-local",
//    "commandline-local": {"timeout": 10, "work_dir": "coding"}}    any executor, by name
//
// The legacy form (no "executor") takes use_docker, work_dir, timeout (seconds; 600 when absent,
// AutoGen's legacy default) and last_n_messages. use_docker is false, true (AutoGen's image,
// python:3-slim), an image name, or a list of one image name; absent or null, the environment
// variable AUTOGEN_USE_DOCKER decides as in AutoGen (1/true/yes/t: Docker, 0/false/no/f/none: the
// local executor; unset: Docker). Asking for Docker never runs the code on this host instead:
// without a daemon, creating the executor fails and says how to choose.
//
// The factory form names any registered executor or alias in "executor" (AutoGen's
// "commandline-local", "ipython-embedded", "jupyter-local", "commandline-docker", codeexec's
// "local", "docker", "jupyter", "sandbox", or one the user registered) and gives its options
// under the key of the same name, in AutoGen's parameter names or codeexec's (the executors'
// FromJson keys): AutoGen's virtual_env_context (a folder), cleanup_temp_files,
// delete_tmp_files, and docker's extra_volumes and extra_hosts as dicts are translated. With
// "executor", top-level use_docker, work_dir and timeout are refused with AutoGen's message.
// last_n_messages is an integer >= 0 or "auto" in both forms.
//
// Errors: kInvalidArgument, with AutoGen's wording where AutoGen has a message, else one that
// says what to write instead; kNotFound for an executor name the registry does not know.
#ifndef CODEEXEC_CODE_EXECUTION_CONFIG_H_
#define CODEEXEC_CODE_EXECUTION_CONFIG_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "codeexec/error.h"
#include "codeexec/executor.h"
#include "codeexec/registry.h"

namespace codeexec {

// How many of the newest messages the agent searches for code: a count (>= 0) or "auto" (the
// trailing run of messages whose role is "user", that is everything the peer said since this
// agent last spoke). Any other value is refused with AutoGen's message
// "last_n_messages must be either a non-negative integer, or the string 'auto'.".
using LastNMessages = std::variant<int, std::string>;

// "auto" or a decimal count, as typed on a command line; anything else fails with the message
// above.
Result<LastNMessages> ParseLastNMessages(std::string_view text);

struct CodeExecutionConfig {
  enum class Form {
    kOff,      // false
    kLegacy,   // {"use_docker": ..., "work_dir": ..., "timeout": ...}
    kFactory,  // {"executor": NAME, NAME: {...}}
  };
  Form form = Form::kOff;
  // The executor as the configuration names it: "commandline-local", ...; for the legacy form
  // "use_docker". Empty when off.
  std::string executor_name;
  // The registered name it stands for ("local"), for ExecutorRegistry::Create. Empty when off.
  std::string executor;
  // The executor's configuration in codeexec's keys: a JSON object.
  std::string executor_config = "{}";
  // From "last_n_messages"; unset when the configuration does not say.
  std::optional<LastNMessages> last_n_messages;
};

// Reads `json` (the configuration as text). `registry` resolves executor names and aliases. Reads
// AUTOGEN_USE_DOCKER from the environment for a legacy form without use_docker. A JSON null is
// taken as {} with a warning (AutoGen's deprecated None).
Result<CodeExecutionConfig> ParseCodeExecutionConfig(
    std::string_view json, const ExecutorRegistry& registry = DefaultExecutorRegistry());

// Creates the executor `config` describes through `registry`. kInvalidArgument when code
// execution is off; otherwise the executor's own errors, saying where in the configuration a bad
// option was and, when the legacy form's Docker cannot be used (no daemon, no image), what to
// write to run the code another way.
Result<std::unique_ptr<CodeExecutor>> CreateCodeExecutor(
    const CodeExecutionConfig& config,
    const ExecutorRegistry& registry = DefaultExecutorRegistry());

}  // namespace codeexec

#endif  // CODEEXEC_CODE_EXECUTION_CONFIG_H_
