// Agents that talk to each other, run the code they are sent, and ask a person when told to
// (AutoGen 0.2's ConversableAgent, UserProxyAgent and AssistantAgent).
//
// A ConversableAgent replies to a conversation in AutoGen's order:
//   1. termination and human input (HumanInputMode, see human_input.h): a person's answer is the
//      reply, "exit" or a termination message ends the conversation;
//   2. code execution, for an agent with an executor: the newest message with code blocks among
//      the last `last_n_messages` is run and the reply is exactly
//      "exitcode: N (execution succeeded|execution failed)\nCode output: OUTPUT";
//   3. the chat model, for an agent with one;
//   4. the default auto reply.
// CodeExecutorAgent is the agent with an executor and no model (AutoGen's ConversableAgent with
// llm_config=False and code_execution_config={"executor": ...}); AssistantAgent is the agent with
// a model and no executor, whose default system message asks for fenced code and TERMINATE.
// ConversableAgent::Create also takes AutoGen's code_execution_config JSON, parsed
// (code_execution_config.h), and builds the executor it describes.
// InitiateChat runs the two-agent loop of AutoGen's initiate_chat.
//
// What a person watching should see (">>>>>>>> EXECUTING CODE BLOCK ...", the messages of a
// chat) goes to the `on_event` sink as AgentEvents; the library prints nothing itself.
//
// Ownership: an agent borrows what its options and Create point to (executor, model, input
// source) unless given a unique_ptr; borrowed objects must outlive the agent. Agents are neither
// copyable nor movable (peers refer to each other by address during a chat).
//
// Threads: an agent is used by one thread at a time; the CancellationToken may be triggered from
// any thread and cancels the running code or model request.
//
// Failures: an executor or model failure is an Error (the conversation cannot go on); the user's
// code failing is a normal reply with a non-zero exit code.
#ifndef CODEEXEC_AGENT_H_
#define CODEEXEC_AGENT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/chat_client.h"
#include "codeexec/code_execution_config.h"
#include "codeexec/error.h"
#include "codeexec/executor.h"
#include "codeexec/human_input.h"
#include "codeexec/message.h"
#include "codeexec/registry.h"

namespace codeexec {

// Something an agent shows the person watching. FormatAgentEvent gives AutoGen's text for it.
struct AgentEvent {
  enum class Kind {
    kNotice,   // ">>>>>>>> EXECUTING CODE BLOCK (inferred language is python)...", ...
    kMessage,  // a message sent during a chat, from `sender` to `recipient`
  };
  Kind kind = Kind::kNotice;
  std::string text;
  std::string sender;
  std::string recipient;
};

using AgentEventSink = std::function<void(const AgentEvent& event)>;

// AutoGen's terminal text, without colours: a notice is "\n" + text; a message is
// "SENDER (to RECIPIENT):\n\nTEXT\n\n" followed by a line of 80 dashes. No trailing newline.
std::string FormatAgentEvent(const AgentEvent& event);

// What an approval callback sees: the blocks about to run, the same blocks fenced again
// ("```python\nCODE\n```", joined by blank lines) and the conversation they came from.
struct ApprovalRequest {
  std::vector<CodeBlock> blocks;
  std::string code;
  std::span<const Message> context;
};

struct ApprovalDecision {
  bool approved = true;
  std::string reason;
};

// Refusing makes the reply "exitcode: 1 (execution failed)\nCode output: Code execution was not
// approved. Reason: REASON" and nothing runs.
using ApprovalCallback = std::function<ApprovalDecision(const ApprovalRequest& request)>;

// The default termination test: the message text, trailing whitespace removed, ends with
// "TERMINATE" (so "TERMINATE" and "The answer is 42.\nTERMINATE" end a chat, a sentence that
// merely mentions the word does not).
bool IsTerminationMessage(const Message& message);

struct AgentOptions {
  // Empty: the agent type's default ("code_executor_agent", "assistant", "agent").
  std::string name{};
  // The system message sent to the chat model. Unset: the type's default (AssistantAgent's
  // asks for fenced code blocks and TERMINATE).
  std::optional<std::string> system_message{};
  // Unset: kTerminate (AutoGen's ConversableAgent), kNever for AssistantAgent.
  std::optional<HumanInputMode> human_input_mode{};
  // Replies in a row without a person's answer, per peer, before the agent stops (kNever) or
  // asks (kTerminate). 0 means never reply on its own. At least 0.
  int max_consecutive_auto_reply = 100;
  // Whether a received message ends the conversation. Empty: IsTerminationMessage.
  std::function<bool(const Message&)> is_termination_msg{};
  // The reply when nothing else replies (AutoGen's default_auto_reply).
  std::string default_auto_reply{};
  LastNMessages last_n_messages = std::string("auto");
  // Sees the blocks before they run and may refuse them. Empty: everything runs.
  ApprovalCallback approve{};
  // Where a person's answers come from. Not owned. nullptr: the terminal (stdin, prompt on
  // stderr), created only when a person is actually asked.
  HumanInputSource* human_input = nullptr;
  // Where notices and chat messages go. Empty: nowhere.
  AgentEventSink on_event{};
  // Receives the events of the code the agent runs, as the code runs (events.h). Empty: none.
  EventSink on_code_event{};
};

// An agent's answer to a conversation.
struct Reply {
  enum class Kind {
    kEnd,            // no reply: the conversation ends (see `text` for why)
    kHuman,          // the person's answer
    kCodeExecution,  // the result of running the code, in AutoGen's reply format
    kModel,          // the chat model's answer
    kDefault,        // the default auto reply: nothing else applied
  };
  Kind kind = Kind::kEnd;
  // The reply; for kEnd, why the conversation ends ("the human typed exit", ...).
  std::string text;
  // For kCodeExecution: what happened to the code (refused code: exit code 1 and the refusal as
  // its output), so that callers need not parse `text`.
  std::optional<CodeResult> code_result{};
};

std::string_view ToString(Reply::Kind kind);

struct ChatOptions {
  // Each turn is one message of the initiator and the recipient's reply. Unset: until a
  // termination message, "exit", or max_consecutive_auto_reply.
  std::optional<int> max_turns{};
  // Forget earlier messages between the two agents first.
  bool clear_history = true;
  // Cancels the running code or model request; the chat then ends with reason "cancelled".
  CancellationToken cancel{};
};

struct ChatResult {
  // The conversation from the initiator's point of view (its messages "assistant", the
  // recipient's "user"), each with its author's name.
  std::vector<Message> chat_history;
  // The last message with "TERMINATE" removed and surrounding whitespace trimmed.
  std::string summary;
  // Why the chat ended: "the human typed exit", "termination message", "max_turns (3) reached",
  // "max_consecutive_auto_reply (10) reached", "cancelled".
  std::string termination_reason;
};

// The whole conversation in AutoGen's layout (FormatAgentEvent for each message).
std::string FormatChatHistory(const ChatResult& result, std::string_view initiator,
                              std::string_view recipient);

class ConversableAgent {
 public:
  // An agent with an executor, a model, both or neither (none of them owned; each may be null).
  // Fails with kInvalidArgument on a bad last_n_messages or a negative auto-reply limit.
  static Result<std::unique_ptr<ConversableAgent>> Create(AgentOptions options,
                                                          CodeExecutor* executor = nullptr,
                                                          ChatModel* model = nullptr);

  // AutoGen's ConversableAgent(code_execution_config=...): an agent whose executor
  // `code_execution` describes (code_execution_config.h), created through `registry` and owned
  // by the agent; no executor when code execution is off. The configuration's last_n_messages,
  // when it has one, replaces options.last_n_messages. The model is borrowed, may be null. Fails
  // as Create above (checked before the executor is created), or with the executor's Error.
  static Result<std::unique_ptr<ConversableAgent>> Create(
      AgentOptions options, const CodeExecutionConfig& code_execution, ChatModel* model = nullptr,
      const ExecutorRegistry& registry = DefaultExecutorRegistry());

  ConversableAgent(const ConversableAgent&) = delete;
  ConversableAgent& operator=(const ConversableAgent&) = delete;
  virtual ~ConversableAgent();

  // The reply to `messages`, seen from this agent (its own messages "assistant", the peer's
  // "user"). `sender` is the peer (nullptr when replying outside a chat): auto replies are
  // counted per sender.
  Result<Reply> GenerateReply(std::span<const Message> messages,
                              const ConversableAgent* sender = nullptr);
  Result<Reply> GenerateReply(std::span<const Message> messages, const ConversableAgent* sender,
                              const CancellationToken& cancel);

  // Step 2 alone: the code-execution reply (kind kCodeExecution, with its code_result), or
  // std::nullopt when the agent has no executor or the scanned messages hold no code block.
  // Shows the EXECUTING banner and asks `approve`.
  Result<std::optional<Reply>> GenerateCodeExecutionReply(
      std::span<const Message> messages, const CancellationToken& cancel = CancellationToken());

  // Sends `message` to `recipient` and alternates replies until one of them ends the chat (see
  // ChatOptions). Each message sent is shown as an AgentEvent through the receiving agent's
  // sink. An executor or model failure ends the chat with that Error; the messages exchanged so
  // far stay in chat_messages().
  Result<ChatResult> InitiateChat(ConversableAgent& recipient, MessageContent message,
                                  const ChatOptions& options = ChatOptions());

  // This agent's history with `peer` (empty if they never talked).
  const std::vector<Message>& chat_messages(const ConversableAgent& peer) const;

  // Forgets every conversation and resets the auto-reply counters. The executor is not
  // restarted (as in AutoGen).
  void Reset();

  const std::string& name() const { return options_.name; }
  HumanInputMode human_input_mode() const { return *options_.human_input_mode; }
  const std::string& system_message() const { return *options_.system_message; }
  CodeExecutor* executor() const { return executor_; }
  ChatModel* model() const { return model_; }

 protected:
  ConversableAgent(AgentOptions options, CodeExecutor* executor, ChatModel* model);
  // Fills the type's defaults and checks the options.
  static Result<AgentOptions> Validate(AgentOptions options, std::string_view default_name,
                                       std::string_view default_system_message,
                                       HumanInputMode default_mode);

  std::unique_ptr<CodeExecutor> owned_executor_;
  std::unique_ptr<ChatModel> owned_model_;

 private:
  struct HumanTurn;

  Result<HumanTurn> TakeHumanTurn(const Message& last, std::string_view sender_name, int count);
  Result<std::optional<Reply>> CheckTerminationAndHumanReply(std::span<const Message> messages,
                                                             const ConversableAgent* sender);
  Result<std::string> AskHuman(std::string_view prompt);
  Result<std::optional<std::string>> GenerateModelReply(std::span<const Message> messages,
                                                        const CancellationToken& cancel);
  bool IsTermination(const Message& message) const;
  void Emit(AgentEvent event) const;
  void Receive(const ConversableAgent& sender, const Message& message);
  void Send(ConversableAgent& recipient, MessageContent content);

  AgentOptions options_;
  CodeExecutor* executor_;
  ChatModel* model_;
  std::unique_ptr<HumanInputSource> terminal_;  // made on first use when none was given
  std::map<const ConversableAgent*, std::vector<Message>> chats_;
  std::map<const ConversableAgent*, int> auto_reply_counts_;
};

// The agent with an executor and no model.
class CodeExecutorAgent final : public ConversableAgent {
 public:
  static Result<std::unique_ptr<CodeExecutorAgent>> Create(AgentOptions options,
                                                           CodeExecutor& executor);
  static Result<std::unique_ptr<CodeExecutorAgent>> Create(AgentOptions options,
                                                           std::unique_ptr<CodeExecutor> executor);

 private:
  using ConversableAgent::ConversableAgent;
};

// The default system message of AssistantAgent (modelled on AutoGen's): solve the task step by
// step, put code in fenced python or sh blocks the user can run unchanged, one block per
// message, read the results, fix errors, and reply TERMINATE when done.
extern const char kDefaultAssistantSystemMessage[];

// The agent with a chat model and no executor.
class AssistantAgent final : public ConversableAgent {
 public:
  static Result<std::unique_ptr<AssistantAgent>> Create(AgentOptions options, ChatModel& model);
  static Result<std::unique_ptr<AssistantAgent>> Create(AgentOptions options,
                                                        std::unique_ptr<ChatModel> model);

 private:
  using ConversableAgent::ConversableAgent;
};

}  // namespace codeexec

#endif  // CODEEXEC_AGENT_H_
