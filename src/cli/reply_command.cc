// `codeexec reply FILE`: the code-executing agent replies to a message, as AutoGen's
// ConversableAgent(llm_config=False, code_execution_config=...).generate_reply does. The executor
// comes from the executor flags or from AutoGen's code_execution_config JSON.
#include <fmt/format.h>

#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/code_execution_flag.h"
#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "cli/live_output.h"
#include "codeexec/agent.h"

namespace codeexec::cli {
namespace {

struct ReplyArgs {
  std::string file = "-";
  std::string human_input = "never";
  std::string last_n_messages = "auto";
  std::string name = "code_executor_agent";
  ExecutorFlags executor;
  std::optional<std::string> code_execution_config;
  bool quiet = false;
};

// A JSON list of {role, content} messages, or else one user message holding the Markdown text.
Result<std::vector<Message>> ParseMessages(const std::string& text) {
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[' && nlohmann::json::accept(text)) {
    return MessagesFromJson(text);
  }
  return std::vector<Message>{{"user", text, ""}};
}

// What there was to say when no code ran: which messages were searched, or that code execution
// is off.
std::string NothingRan(const ReplyArgs& args, const std::optional<CodeExecutionConfig>& config) {
  if (config && config->form == CodeExecutionConfig::Form::kOff) {
    return "code execution is off (--code-execution-config false): no code was run";
  }
  std::string last_n = args.last_n_messages;
  if (config && config->last_n_messages) {
    const int* count = std::get_if<int>(&*config->last_n_messages);
    last_n = count == nullptr ? "auto" : std::to_string(*count);
  }
  std::string searched = last_n == "auto" ? std::string("the trailing user messages")
                                          : fmt::format("the last {} messages", last_n);
  return fmt::format(
      "no code blocks found in {} (searched {}). A code block is fenced with three backticks "
      "and a language, for example ```python.",
      args.file == "-" ? "the messages" : args.file, searched);
}

int Report(const Reply& reply, const ReplyArgs& args,
           const std::optional<CodeExecutionConfig>& config) {
  switch (reply.kind) {
    case Reply::Kind::kCodeExecution:
    case Reply::Kind::kHuman:
      std::cout << reply.text << (reply.text.ends_with('\n') ? "" : "\n");
      std::cout.flush();
      return reply.kind == Reply::Kind::kHuman ? 0 : ExitStatusOf(*reply.code_result);
    case Reply::Kind::kEnd:
      return Fail(kFailure, fmt::format("no reply: the conversation ended ({})", reply.text));
    case Reply::Kind::kModel:
    case Reply::Kind::kDefault:
      break;
  }
  return Fail(kFailure, NothingRan(args, config));
}

int RunReply(const ReplyArgs& args) {
  auto mode = ParseHumanInputMode(args.human_input);
  if (!mode) return Fail(kUsageError, mode.error().message());
  auto last_n = ParseLastNMessages(args.last_n_messages);
  if (!last_n) return Fail(kUsageError, last_n.error().message());
  std::string error;
  auto text = ReadMessageFile(args.file, &error);
  if (!text) return Fail(kUsageError, error);
  auto messages = ParseMessages(*text);
  if (!messages) return Fail(kUsageError, messages.error().message());
  auto config = ReadCodeExecutionConfig(args.code_execution_config);
  if (!config) return Fail(ExecutorErrorStatus(config.error()), config.error().message());

  AgentOptions options{.name = args.name, .human_input_mode = *mode, .last_n_messages = *last_n};
  options.on_event = [](const AgentEvent& event) {
    std::cerr << FormatAgentEvent(event) << std::endl;
  };
  if (!args.quiet) options.on_code_event = LiveOutputToStderr();
  auto agent = CreateExecutingAgent(std::move(options), *config, args.executor);
  if (!agent) return Fail(ExecutorErrorStatus(agent.error()), agent.error().message());
  CancellationToken cancel;
  Result<Reply> reply;
  {
    SignalCanceller canceller(cancel);
    reply = (*agent)->GenerateReply(*messages, nullptr, cancel);
  }
  if (CodeExecutor* executor = (*agent)->executor()) {
    [[maybe_unused]] auto stopped = executor->Stop();
  }
  if (!reply) return Fail(kFailure, reply.error().message());
  return Report(*reply, args, *config);
}

}  // namespace

void AddReplyCommand(CLI::App& app, int* status) {
  auto args = std::make_shared<ReplyArgs>();
  auto* command = app.add_subcommand(
      "reply",
      "Reply to a conversation as a code-executing agent: run the code of the newest message "
      "that has any, show the banner on stderr and print the reply on stdout.");
  command
      ->add_option("file", args->file,
                   "The message (Markdown text) or a JSON list of {role, content} messages; "
                   "- for standard input.")
      ->capture_default_str();
  command
      ->add_option("--human-input", args->human_input,
                   "When to ask the person at the terminal first: always, terminate, never.")
      ->capture_default_str();
  command
      ->add_option("--last-n-messages", args->last_n_messages,
                   "How many of the newest messages to search for code, or auto (the trailing "
                   "user messages).")
      ->capture_default_str();
  command->add_option("--name", args->name, "The agent's name, shown in prompts.")
      ->capture_default_str();
  AddExecutorFlags(command, &args->executor);
  AddCodeExecutionConfigFlag(command, &args->code_execution_config);
  AddQuietFlag(command, &args->quiet);
  command->callback([args, status] { *status = RunReply(*args); });
}

}  // namespace codeexec::cli
