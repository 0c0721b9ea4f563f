// The agent-style reply to a message whose code was executed, shared by the CLI and the agent:
//   exitcode: N (execution succeeded|execution failed)
//   Code output: OUTPUT
#ifndef CODEEXEC_REPLY_H_
#define CODEEXEC_REPLY_H_

#include <string>

#include "codeexec/types.h"

namespace codeexec {

// "exitcode: 0 (execution succeeded)\nCode output: " + output; "execution failed" when the exit
// code is not 0. Exactly AutoGen's text.
std::string FormatReply(const CodeResult& result);

// Every field of `result` as a JSON object (text), for `codeexec run --json` and services:
// exit_code, status, output, stdout, stderr, code_file, output_files, duration_ms, truncated,
// peak_memory_bytes, cpu_time_ms, and blocks (each block's language, code_file, exit_code,
// status, output, stdout, stderr, output_files, duration_ms). `indent` as nlohmann::json's dump:
// -1 for one line.
std::string CodeResultToJson(const CodeResult& result, int indent = 2);

}  // namespace codeexec

#endif  // CODEEXEC_REPLY_H_
