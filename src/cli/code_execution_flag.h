// --code-execution-config JSON|@FILE: the agent commands (reply, chat) take AutoGen's
// code_execution_config (codeexec/code_execution_config.h) instead of the executor flags, and
// build the code-executing agent from one or the other.
#ifndef CODEEXEC_SRC_CLI_CODE_EXECUTION_FLAG_H_
#define CODEEXEC_SRC_CLI_CODE_EXECUTION_FLAG_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/executor_flags.h"
#include "codeexec/agent.h"
#include "codeexec/code_execution_config.h"

namespace codeexec::cli {

// Registers --code-execution-config on `command`, which must already have the executor flags
// and --last-n-messages: the configuration says all of that, so giving both is a usage error.
void AddCodeExecutionConfigFlag(CLI::App* command, std::optional<std::string>* value);

// The configuration the flag's value gives (JSON text, or @FILE for the content of FILE);
// std::nullopt when the flag was not given.
Result<std::optional<CodeExecutionConfig>> ReadCodeExecutionConfig(
    const std::optional<std::string>& value);

// The agent that runs the code, owning its executor: built from `config` when given (no
// executor when code execution is off; its last_n_messages, if any, replaces the one in
// `options`), else from the executor flags.
Result<std::unique_ptr<ConversableAgent>> CreateExecutingAgent(
    AgentOptions options, const std::optional<CodeExecutionConfig>& config,
    const ExecutorFlags& flags);

}  // namespace codeexec::cli

#endif  // CODEEXEC_SRC_CLI_CODE_EXECUTION_FLAG_H_
