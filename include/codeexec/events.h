// Live events: what an execution reports while it runs, the same for every executor.
//
// For each block it runs, an execution reports block_start, then the block's text and files as
// the code produces them, then block_end:
//   block_start {block, language, code_file}
//   stdout {block, text}, stderr {block, text}  what the code printed, as it printed it
//   note {block, text}                          what the executor adds ("\nTimeout", "Code saved
//                                               to ...", the truncation note)
//   file {block, path, mime}                    a file the block produced (the Jupyter executor's
//                                               images and HTML)
//   block_end {block, exit_code, status, duration}
// `block` is the block's index in the call. Text is valid UTF-8 and never splits a character;
// the output limit applies to it exactly as to the result. The text of every stdout, stderr and
// note event, concatenated in order, equals the result's `output`; stdout events alone equal
// `stdout_text`, stderr events `stderr_text`; and a block's events equal its BlockResult.
//
// A sink receives the events of one execution one at a time and in order, on a thread of the
// executor's (not necessarily the caller's). It must return quickly (the code's output waits
// meanwhile) and must not call the executor.
#ifndef CODEEXEC_EVENTS_H_
#define CODEEXEC_EVENTS_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "codeexec/types.h"

namespace codeexec {

struct ExecutionEvent {
  enum class Type { kBlockStart, kStdout, kStderr, kNote, kFile, kBlockEnd };
  Type type = Type::kStdout;
  int block = 0;
  // kBlockStart: the language as the executor understood it, and the file written, if any.
  std::string language;
  std::optional<std::filesystem::path> code_file;
  // kStdout, kStderr, kNote: the text.
  std::string text;
  // kFile: the file and its MIME type ("image/png", "text/html", ...).
  std::filesystem::path path;
  std::string mime;
  // kBlockEnd.
  int exit_code = 0;
  ExecutionStatus status = ExecutionStatus::kOk;
  std::chrono::nanoseconds duration{0};
};

// "block_start", "stdout", "stderr", "note", "file", "block_end".
std::string_view ToString(ExecutionEvent::Type type);

using EventSink = std::function<void(const ExecutionEvent& event)>;

// The event as one JSON object (text, no newline): {"type", "block", ...} with the fields of its
// type; duration as "duration_ms". For `codeexec run --ndjson` and the service's streams.
std::string EventToJson(const ExecutionEvent& event);

}  // namespace codeexec

#endif  // CODEEXEC_EVENTS_H_
