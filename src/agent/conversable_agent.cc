// ConversableAgent's reply: termination and human input, then code execution, then the chat
// model, then the default auto reply (AutoGen 0.2's reply functions, in their order).
#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "agent/code_reply.h"
#include "codeexec/agent.h"
#include "codeexec/reply.h"

namespace codeexec {
namespace {

constexpr char kDefaultSystemMessage[] = "You are a helpful AI Assistant.";

AgentEvent Notice(std::string text) { return {AgentEvent::Kind::kNotice, std::move(text), "", ""}; }

std::string_view TrimTrailingSpace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::string_view ToString(Reply::Kind kind) {
  switch (kind) {
    case Reply::Kind::kEnd:
      return "end";
    case Reply::Kind::kHuman:
      return "human";
    case Reply::Kind::kCodeExecution:
      return "code_execution";
    case Reply::Kind::kModel:
      return "model";
    case Reply::Kind::kDefault:
      return "default";
  }
  return "end";
}

bool IsTerminationMessage(const Message& message) {
  return TrimTrailingSpace(MessageText(message)).ends_with("TERMINATE");
}

Result<LastNMessages> ParseLastNMessages(std::string_view text) {
  if (text == "auto") return LastNMessages(std::string("auto"));
  int count = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  LastNMessages value = count;
  if (error != std::errc() || end != text.data() + text.size()) value = std::string(text);
  auto valid = agent::ValidateLastNMessages(value);
  if (!valid) return tl::unexpected(valid.error());
  return value;
}

Result<AgentOptions> ConversableAgent::Validate(AgentOptions options, std::string_view default_name,
                                                std::string_view default_system_message,
                                                HumanInputMode default_mode) {
  if (options.name.empty()) options.name = default_name;
  if (!options.system_message) options.system_message = std::string(default_system_message);
  if (!options.human_input_mode) options.human_input_mode = default_mode;
  if (options.max_consecutive_auto_reply < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "max_consecutive_auto_reply must be 0 or more (0: never reply on its own)");
  }
  auto valid = agent::ValidateLastNMessages(options.last_n_messages);
  if (!valid) return tl::unexpected(valid.error());
  return options;
}

Result<std::unique_ptr<ConversableAgent>> ConversableAgent::Create(AgentOptions options,
                                                                   CodeExecutor* executor,
                                                                   ChatModel* model) {
  auto valid =
      Validate(std::move(options), "agent", kDefaultSystemMessage, HumanInputMode::kTerminate);
  if (!valid) return tl::unexpected(valid.error());
  return std::unique_ptr<ConversableAgent>(
      new ConversableAgent(std::move(*valid), executor, model));
}

Result<std::unique_ptr<ConversableAgent>> ConversableAgent::Create(
    AgentOptions options, const CodeExecutionConfig& code_execution, ChatModel* model,
    const ExecutorRegistry& registry) {
  if (code_execution.last_n_messages) options.last_n_messages = *code_execution.last_n_messages;
  auto agent = Create(std::move(options), nullptr, model);
  if (!agent || code_execution.form == CodeExecutionConfig::Form::kOff) return agent;
  auto executor = CreateCodeExecutor(code_execution, registry);
  if (!executor) return tl::unexpected(executor.error());
  (*agent)->executor_ = executor->get();
  (*agent)->owned_executor_ = std::move(*executor);
  return agent;
}

ConversableAgent::ConversableAgent(AgentOptions options, CodeExecutor* executor, ChatModel* model)
    : options_(std::move(options)), executor_(executor), model_(model) {}

ConversableAgent::~ConversableAgent() = default;

Result<Reply> ConversableAgent::GenerateReply(std::span<const Message> messages,
                                              const ConversableAgent* sender) {
  return GenerateReply(messages, sender, CancellationToken());
}

Result<Reply> ConversableAgent::GenerateReply(std::span<const Message> messages,
                                              const ConversableAgent* sender,
                                              const CancellationToken& cancel) {
  auto human = CheckTerminationAndHumanReply(messages, sender);
  if (!human) return tl::unexpected(human.error());
  if (*human) return std::move(**human);

  auto code = GenerateCodeExecutionReply(messages, cancel);
  if (!code) return tl::unexpected(code.error());
  if (*code) return std::move(**code);

  auto model = GenerateModelReply(messages, cancel);
  if (!model) return tl::unexpected(model.error());
  if (*model) return Reply{Reply::Kind::kModel, std::move(**model)};

  return Reply{Reply::Kind::kDefault, options_.default_auto_reply};
}

// What the person was asked and answered, and what that means for the reply.
struct ConversableAgent::HumanTurn {
  std::optional<std::string> answer;  // set when the person was asked
  std::string reply;                  // "exit" ends the conversation
  std::string end_reason = "the human typed exit";
};

// The first half of AutoGen's check_termination_and_human_reply: whether to ask the person, and
// whether the conversation ends without asking.
Result<ConversableAgent::HumanTurn> ConversableAgent::TakeHumanTurn(const Message& last,
                                                                    std::string_view sender_name,
                                                                    int count) {
  HumanTurn turn;
  auto ask = [&](std::string prompt, bool empty_ends) -> Result<HumanTurn> {
    auto asked = AskHuman(prompt);
    if (!asked) return tl::unexpected(asked.error());
    turn.answer = turn.reply = *asked;
    if (turn.reply.empty() && empty_ends) {
      turn.reply = "exit";
      turn.end_reason = "termination message";
    }
    return turn;
  };
  const HumanInputMode mode = human_input_mode();
  const int limit = options_.max_consecutive_auto_reply;
  if (mode == HumanInputMode::kAlways) {
    return ask(fmt::format("Replying as {}. Provide feedback to {}. Press enter to skip and use "
                           "auto-reply, or type 'exit' to end the conversation: ",
                           name(), sender_name),
               IsTermination(last));
  }
  const bool terminate = IsTermination(last);
  if (count < limit && !terminate) return turn;
  if (mode == HumanInputMode::kNever) {
    turn.reply = "exit";
    turn.end_reason = count >= limit ? fmt::format("max_consecutive_auto_reply ({}) reached", limit)
                                     : std::string("termination message");
    return turn;
  }
  if (count >= limit && !terminate) {
    return ask(fmt::format("Please give feedback to {}. Press enter to skip and use auto-reply, "
                           "or type 'exit' to stop the conversation: ",
                           sender_name),
               false);
  }
  return ask(fmt::format("Please give feedback to {}. Press enter or type 'exit' to stop the "
                         "conversation: ",
                         sender_name),
             true);
}

// The second half: the person's answer becomes the reply, "exit" ends the conversation, and
// otherwise the agent replies on its own (counted per sender).
Result<std::optional<Reply>> ConversableAgent::CheckTerminationAndHumanReply(
    std::span<const Message> messages, const ConversableAgent* sender) {
  const Message last = messages.empty() ? Message{} : messages.back();
  int& count = auto_reply_counts_[sender];
  auto turn = TakeHumanTurn(last, sender != nullptr ? sender->name() : "the sender", count);
  if (!turn) return tl::unexpected(turn.error());

  if (turn->answer && turn->answer->empty()) {
    Emit(Notice(">>>>>>>> NO HUMAN INPUT RECEIVED."));
  }
  if (turn->reply == "exit") {
    count = 0;
    return Reply{Reply::Kind::kEnd, turn->end_reason};
  }
  if (!turn->reply.empty() || options_.max_consecutive_auto_reply == 0) {
    count = 0;
    return Reply{Reply::Kind::kHuman, turn->reply};
  }
  ++count;
  if (human_input_mode() != HumanInputMode::kNever) {
    Emit(Notice(">>>>>>>> USING AUTO REPLY..."));
  }
  return std::nullopt;
}

Result<std::optional<Reply>> ConversableAgent::GenerateCodeExecutionReply(
    std::span<const Message> messages, const CancellationToken& cancel) {
  if (executor_ == nullptr) return std::nullopt;
  std::size_t count = agent::MessagesToScan(messages, options_.last_n_messages);
  std::vector<CodeBlock> blocks =
      agent::FindCodeToExecute(messages, count, executor_->code_extractor());
  if (blocks.empty()) return std::nullopt;
  if (options_.approve) {
    ApprovalDecision decision = options_.approve({blocks, agent::FenceBlocks(blocks), messages});
    if (!decision.approved) {
      CodeResult refused = agent::NotApprovedResult(decision.reason);
      std::string text = FormatReply(refused);
      return Reply{Reply::Kind::kCodeExecution, std::move(text), std::move(refused)};
    }
  }
  Emit(Notice(agent::ExecutionBanner(blocks)));
  ExecutionOptions execution;
  execution.cancel = cancel;
  execution.on_event = options_.on_code_event;
  auto result = executor_->ExecuteCodeBlocks(blocks, execution);
  if (!result) return tl::unexpected(result.error());
  std::string text = FormatReply(*result);
  return Reply{Reply::Kind::kCodeExecution, std::move(text), std::move(*result)};
}

Result<std::optional<std::string>> ConversableAgent::GenerateModelReply(
    std::span<const Message> messages, const CancellationToken& cancel) {
  if (model_ == nullptr) return std::nullopt;
  std::vector<Message> prompt;
  prompt.reserve(messages.size() + 1);
  if (!system_message().empty()) prompt.push_back({"system", system_message(), ""});
  prompt.insert(prompt.end(), messages.begin(), messages.end());
  auto text = model_->Complete(prompt, cancel);
  if (!text) return tl::unexpected(text.error());
  return std::move(*text);
}

Result<std::string> ConversableAgent::AskHuman(std::string_view prompt) {
  HumanInputSource* source = options_.human_input;
  if (source == nullptr) {
    if (!terminal_) terminal_ = std::make_unique<TerminalInput>();
    source = terminal_.get();
  }
  return source->Ask(prompt);
}

bool ConversableAgent::IsTermination(const Message& message) const {
  return options_.is_termination_msg ? options_.is_termination_msg(message)
                                     : IsTerminationMessage(message);
}

void ConversableAgent::Emit(AgentEvent event) const {
  if (options_.on_event) options_.on_event(event);
}

const std::vector<Message>& ConversableAgent::chat_messages(const ConversableAgent& peer) const {
  static const std::vector<Message> kNone;
  auto it = chats_.find(&peer);
  return it == chats_.end() ? kNone : it->second;
}

void ConversableAgent::Reset() {
  chats_.clear();
  auto_reply_counts_.clear();
}

}  // namespace codeexec
