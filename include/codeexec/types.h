// The data that flows through codeexec: a code block found in a message, and the result of
// executing a message's blocks.
#ifndef CODEEXEC_TYPES_H_
#define CODEEXEC_TYPES_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codeexec {

// One fenced block. `language` is the tag as written in the fence (or inferred for untagged
// blocks; empty when unknown); `code` is the body without the fence's final newline.
struct CodeBlock {
  std::string language;
  std::string code;

  bool operator==(const CodeBlock&) const = default;
};

// What happened to the user's code. Only kOk means the code ran to a zero exit.
enum class ExecutionStatus {
  kOk,               // every block ran and exited 0
  kError,            // a block exited non-zero (or a language was unknown, or a file name refused)
  kTimeout,          // a block ran past the timeout and was killed (exit code 124)
  kCancelled,        // the caller cancelled; the block was killed (exit code 125)
  kMemoryLimit,      // the code was killed for exceeding its memory limit
  kOutputLimit,      // the code printed more than the output limit; the kept output is truncated
  kSetupError,       // the code could not be started (for example, its interpreter is missing)
  kProcessLimit,     // the code failed after hitting its process/thread limit
  kPolicyViolation,  // the code was killed for a system call the sandbox forbids
};

std::string_view ToString(ExecutionStatus status);

// What happened to one block of a call.
struct BlockResult {
  // The language as the executor understood it ("python" for a block tagged py), or the tag as
  // written when it was unknown.
  std::string language;
  // The file the block was written to, if any.
  std::optional<std::filesystem::path> code_file;
  int exit_code = 0;
  ExecutionStatus status = ExecutionStatus::kOk;
  // The block's share of the call's output, notes included, and its two streams apart.
  std::string output;
  std::string stdout_text;
  std::string stderr_text;
  // Files the block produced for rich output.
  std::vector<std::filesystem::path> output_files;
  std::chrono::nanoseconds duration{0};
};

// The result of CodeExecutor::ExecuteCodeBlocks. Mirrors AutoGen's CodeResult /
// CommandLineCodeResult (exit_code, output, code_file) and IPythonCodeResult (output_files),
// with what a program driving an agent also needs.
struct CodeResult {
  int exit_code = 0;
  // What a person would have seen on a terminal: stdout and stderr of every block run,
  // interleaved in the order produced, plus executor notes such as "\nTimeout". Always valid
  // UTF-8 (invalid bytes are replaced by U+FFFD).
  std::string output;
  // The first file written for this call, if any.
  std::optional<std::filesystem::path> code_file;
  // Files produced for rich output (images, HTML, ...), for executors that produce them.
  std::vector<std::filesystem::path> output_files;
  ExecutionStatus status = ExecutionStatus::kOk;
  // The two streams kept apart (also valid UTF-8, also truncated at the output limit).
  std::string stdout_text;
  std::string stderr_text;
  std::chrono::nanoseconds duration{0};
  // True when output was cut at the output limit.
  bool truncated = false;
  // Resource use, for executors that measure it (the sandbox): the largest memory use of any
  // block (bytes) and the CPU time of all blocks. 0 when not measured.
  uint64_t peak_memory_bytes = 0;
  std::chrono::nanoseconds cpu_time{0};
  // One per block run, in order: the blocks after the first failure are not run and not here.
  std::vector<BlockResult> blocks;
};

}  // namespace codeexec

#endif  // CODEEXEC_TYPES_H_
