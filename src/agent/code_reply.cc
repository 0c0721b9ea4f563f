#include "agent/code_reply.h"

#include <fmt/format.h>

#include "codeexec/reply.h"

namespace codeexec::agent {

Result<void> ValidateLastNMessages(const LastNMessages& value) {
  if (const int* count = std::get_if<int>(&value); count != nullptr && *count >= 0) return {};
  if (const auto* text = std::get_if<std::string>(&value); text != nullptr && *text == "auto") {
    return {};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "last_n_messages must be either a non-negative integer, or the string 'auto'.");
}

std::size_t MessagesToScan(std::span<const Message> messages, const LastNMessages& value) {
  if (const int* count = std::get_if<int>(&value)) {
    return std::min(messages.size(), static_cast<std::size_t>(std::max(*count, 0)));
  }
  std::size_t count = 0;
  for (auto it = messages.rbegin(); it != messages.rend() && it->role == "user"; ++it) ++count;
  return count;
}

std::vector<CodeBlock> FindCodeToExecute(std::span<const Message> messages, std::size_t count,
                                         const CodeExtractor& extractor) {
  count = std::min(count, messages.size());
  for (std::size_t i = messages.size(); i > messages.size() - count; --i) {
    const Message& message = messages[i - 1];
    if (IsEmptyContent(message.content)) continue;
    std::vector<CodeBlock> blocks = extractor.ExtractCodeBlocks(message.content);
    if (!blocks.empty()) return blocks;
  }
  return {};
}

std::string ExecutionBanner(const std::vector<CodeBlock>& blocks) {
  if (blocks.size() == 1) {
    return fmt::format(">>>>>>>> EXECUTING CODE BLOCK (inferred language is {})...",
                       blocks.front().language);
  }
  std::string languages;
  for (const CodeBlock& block : blocks) {
    if (!languages.empty()) languages += ", ";
    languages += block.language;
  }
  return fmt::format(">>>>>>>> EXECUTING {} CODE BLOCKS (inferred languages are [{}])...",
                     blocks.size(), languages);
}

std::string FenceBlocks(const std::vector<CodeBlock>& blocks) {
  std::string fenced;
  for (const CodeBlock& block : blocks) {
    if (!fenced.empty()) fenced += "\n\n";
    fenced += fmt::format("```{}\n{}\n```", block.language, block.code);
  }
  return fenced;
}

CodeResult NotApprovedResult(const std::string& reason) {
  CodeResult refused;
  refused.exit_code = 1;
  refused.status = ExecutionStatus::kError;
  refused.output = "Code execution was not approved. Reason: " + reason;
  return refused;
}

}  // namespace codeexec::agent
