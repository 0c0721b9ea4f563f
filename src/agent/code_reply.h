// The pieces of the code-execution reply (AutoGen's _generate_code_execution_reply_using_executor)
// that do not need an agent: which messages are searched, the banner, the fenced code an
// approver sees, and the reply for refused code.
#ifndef CODEEXEC_SRC_AGENT_CODE_REPLY_H_
#define CODEEXEC_SRC_AGENT_CODE_REPLY_H_

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "codeexec/agent.h"

namespace codeexec::agent {

// kInvalidArgument with AutoGen's message unless `value` is an int >= 0 or "auto".
Result<void> ValidateLastNMessages(const LastNMessages& value);

// How many of the newest messages to search: the count (at most messages.size()), or for "auto"
// the trailing run of messages whose role is "user". `value` must be valid.
std::size_t MessagesToScan(std::span<const Message> messages, const LastNMessages& value);

// Scans the last `count` messages newest first, skipping empty ones; the blocks of the first
// message that has any (empty when none has).
std::vector<CodeBlock> FindCodeToExecute(std::span<const Message> messages, std::size_t count,
                                         const CodeExtractor& extractor);

// ">>>>>>>> EXECUTING CODE BLOCK (inferred language is python)..." or
// ">>>>>>>> EXECUTING 2 CODE BLOCKS (inferred languages are [python, sh])...".
std::string ExecutionBanner(const std::vector<CodeBlock>& blocks);

// Each block fenced again ("```LANG\nCODE\n```"), joined by blank lines.
std::string FenceBlocks(const std::vector<CodeBlock>& blocks);

// The result of refused code: exit code 1, status error, output "Code execution was not
// approved. Reason: REASON" (so its reply is AutoGen's "exitcode: 1 (execution failed)\nCode
// output: Code execution was not approved. Reason: REASON").
CodeResult NotApprovedResult(const std::string& reason);

}  // namespace codeexec::agent

#endif  // CODEEXEC_SRC_AGENT_CODE_REPLY_H_
