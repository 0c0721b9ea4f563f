// `codeexec chat "TASK"`: the seed's two-agent workflow. A user proxy with an executor sends the
// task to an assistant backed by an OpenAI-compatible chat model; the assistant writes code, the
// proxy runs it and returns the result, until the assistant says TERMINATE or a limit is hit.
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "cli/code_execution_flag.h"
#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "cli/live_output.h"
#include "codeexec/agent.h"

namespace codeexec::cli {
namespace {

constexpr int kCancelledStatus = 130;  // as a shell reports a command stopped by Ctrl-C

struct ChatArgs {
  std::string task;
  OpenAIChatOptions model;
  double request_timeout = 120;
  std::optional<std::string> system_message;
  std::string human_input = "never";
  std::string last_n_messages = "auto";
  int max_consecutive_auto_reply = 10;
  // AutoGen's user proxy sends an empty message when the model wrote no code; a word of
  // guidance gets a model unstuck sooner.
  std::string default_auto_reply =
      "No code block found in your message. If the task is done, reply TERMINATE; otherwise "
      "send the next code block.";
  std::optional<int> max_turns;
  ExecutorFlags executor;
  std::optional<std::string> code_execution_config;
  bool quiet = false;
};

void Show(const AgentEvent& event) { std::cout << FormatAgentEvent(event) << std::endl; }

Result<std::unique_ptr<AssistantAgent>> MakeAssistant(const ChatArgs& args) {
  if (!(args.request_timeout >= 0.001)) {
    return MakeError(ErrorCode::kInvalidArgument, "--request-timeout must be a positive number");
  }
  OpenAIChatOptions model = args.model;
  model.timeout = std::chrono::milliseconds(std::llround(args.request_timeout * 1000));
  auto client = OpenAIChatClient::Create(std::move(model));
  if (!client) return tl::unexpected(client.error());
  AgentOptions options{.name = "assistant", .system_message = args.system_message};
  options.on_event = Show;
  return AssistantAgent::Create(std::move(options), std::move(*client));
}

// The user proxy with its executor, from the executor flags or --code-execution-config.
Result<std::unique_ptr<ConversableAgent>> MakeUserProxy(const ChatArgs& args) {
  auto mode = ParseHumanInputMode(args.human_input);
  if (!mode) return tl::unexpected(mode.error());
  auto last_n = ParseLastNMessages(args.last_n_messages);
  if (!last_n) return tl::unexpected(last_n.error());
  auto config = ReadCodeExecutionConfig(args.code_execution_config);
  if (!config) return tl::unexpected(config.error());
  AgentOptions options{.name = "user_proxy",
                       .human_input_mode = *mode,
                       .max_consecutive_auto_reply = args.max_consecutive_auto_reply,
                       .default_auto_reply = args.default_auto_reply,
                       .last_n_messages = *last_n};
  options.on_event = Show;
  if (!args.quiet) options.on_code_event = LiveOutputToStderr();
  return CreateExecutingAgent(std::move(options), *config, args.executor);
}

int RunChat(const ChatArgs& args) {
  auto assistant = MakeAssistant(args);
  if (!assistant) return Fail(kUsageError, assistant.error().message());
  auto proxy = MakeUserProxy(args);
  if (!proxy) return Fail(ExecutorErrorStatus(proxy.error()), proxy.error().message());

  ChatOptions options{.max_turns = args.max_turns};
  Result<ChatResult> result;
  {
    SignalCanceller canceller(options.cancel);
    result = (*proxy)->InitiateChat(**assistant, args.task, options);
  }
  if (CodeExecutor* executor = (*proxy)->executor()) {
    [[maybe_unused]] auto stopped = executor->Stop();
  }
  if (!result) return Fail(kFailure, result.error().message());
  fmt::print(stderr, "codeexec: chat ended: {}\n", result->termination_reason);
  return result->termination_reason == "cancelled" ? kCancelledStatus : 0;
}

}  // namespace

void AddChatCommand(CLI::App& app, int* status) {
  auto args = std::make_shared<ChatArgs>();
  auto* command = app.add_subcommand(
      "chat",
      "Give a task to an assistant backed by an OpenAI-compatible chat model; its code is run by "
      "the executor and the results sent back until it says TERMINATE. The conversation is "
      "printed as it goes.");
  command->add_option("task", args->task, "What to do.")->required();
  command->add_option("-m,--model", args->model.model, "The model to ask.")->required();
  command->add_option("--base-url", args->model.base_url, "The endpoint, up to /v1.")
      ->capture_default_str();
  command
      ->add_option("--api-key-env", args->model.api_key_env,
                   "The environment variable holding the API key (never printed).")
      ->capture_default_str();
  command->add_option("--temperature", args->model.temperature, "Sampling temperature (0-2).");
  command->add_option("--request-timeout", args->request_timeout, "Seconds per model request.")
      ->capture_default_str();
  command
      ->add_option("--retries", args->model.max_retries,
                   "Retries of a model request on 429, 5xx, timeouts and broken answers.")
      ->capture_default_str();
  command->add_option("--system-message", args->system_message,
                      "The assistant's instructions (default: write fenced code, say TERMINATE).");
  command
      ->add_option("--human-input", args->human_input,
                   "When the user proxy asks you first: always, terminate, never.")
      ->capture_default_str();
  command
      ->add_option("--last-n-messages", args->last_n_messages,
                   "How many newest messages the user proxy searches for code, or auto.")
      ->capture_default_str();
  command
      ->add_option("--max-consecutive-auto-reply", args->max_consecutive_auto_reply,
                   "Replies in a row the user proxy makes on its own before it stops.")
      ->capture_default_str();
  command->add_option("--default-auto-reply", args->default_auto_reply,
                      "What the user proxy answers a message without code.");
  command->add_option("--max-turns", args->max_turns,
                      "Stop after this many exchanges (task or result, then the answer).");
  AddExecutorFlags(command, &args->executor);
  AddCodeExecutionConfigFlag(command, &args->code_execution_config);
  AddQuietFlag(command, &args->quiet);
  command->callback([args, status] { *status = RunChat(*args); });
}

}  // namespace codeexec::cli
