#include "cli/code_execution_flag.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace codeexec::cli {

void AddCodeExecutionConfigFlag(CLI::App* command, std::optional<std::string>* value) {
  CLI::Option* option = command->add_option(
      "--code-execution-config", *value,
      "AutoGen's code_execution_config, as JSON or @FILE: {\"work_dir\": \"coding\", "
      "\"use_docker\": false}, {\"executor\": \"commandline-local\", \"commandline-local\": "
      "{...}}, or false (see docs/agent.md). Replaces the executor flags and --last-n-messages.");
  for (const char* flag :
       {"--executor", "--config", "--timeout", "--work-dir", "--output-limit", "--python",
        "--image", "--kernel", "--output-dir", "--last-n-messages"}) {
    option->excludes(command->get_option(flag));
  }
}

Result<std::optional<CodeExecutionConfig>> ReadCodeExecutionConfig(
    const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  std::string text = *value;
  if (text.starts_with('@')) {
    std::string file = text.substr(1);
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("cannot read the --code-execution-config file {}: {}", file,
                                   std::strerror(errno)));
    }
    std::stringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  auto config = ParseCodeExecutionConfig(text);
  if (!config) return tl::unexpected(config.error());
  return std::move(*config);
}

Result<std::unique_ptr<ConversableAgent>> CreateExecutingAgent(
    AgentOptions options, const std::optional<CodeExecutionConfig>& config,
    const ExecutorFlags& flags) {
  if (config) return ConversableAgent::Create(std::move(options), *config);
  auto executor = CreateExecutor(flags);
  if (!executor) return tl::unexpected(executor.error());
  auto agent = CodeExecutorAgent::Create(std::move(options), std::move(*executor));
  if (!agent) return tl::unexpected(agent.error());
  return std::unique_ptr<ConversableAgent>(std::move(*agent));
}

}  // namespace codeexec::cli
