// OutputCollector: keeps what a program prints, in the order it printed it, up to a limit.
//
// Stream bytes (stdout, stderr) count against the limit; past it they are counted and dropped, so
// memory stays bounded whatever the program prints. Executor notes ("\nTimeout", "Code saved
// to ...") always go in. Finish() gives the interleaved output, each stream apart, and, when the
// limit was hit, a note at the cut that says how much was dropped. Not thread-safe: one collector
// per execution.
#ifndef CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_
#define CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/types.h"

namespace codeexec {

enum class OutputStream { kStdout = 0, kStderr = 1 };

struct CollectedOutput {
  std::string output;  // interleaved, valid UTF-8
  std::string stdout_text;
  std::string stderr_text;
  bool truncated = false;
};

class OutputCollector {
 public:
  explicit OutputCollector(std::size_t limit);

  void Append(OutputStream stream, std::string_view bytes);
  void AppendNote(std::string_view note);

  bool truncated() const { return truncated_; }
  // Every stream byte seen, kept or not.
  uint64_t total_bytes() const { return total_bytes_; }
  // Whether the interleaved output so far is empty or ends with a newline.
  bool AtLineStart() const;

  CollectedOutput Finish();
  // Finish(), into an executor's result: output, streams and truncation; a result that was ok or
  // an error becomes kOutputLimit when the output was cut.
  void FinishInto(CodeResult& result);

 private:
  enum class Source : uint8_t { kStdout, kStderr, kNote };
  struct Segment {
    Source source;
    std::size_t begin, end;  // in output_
  };

  void Keep(Source source, std::string_view bytes);
  void FlushPending(OutputStream stream);

  std::size_t limit_;
  std::size_t kept_stream_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  bool truncated_ = false;
  std::size_t cut_at_ = 0;  // where in output_ the truncation note goes
  std::string output_;
  std::vector<Segment> segments_;
  // The start of a UTF-8 character whose remaining bytes have not arrived yet, per stream, so
  // that a character split across two reads is not broken by the other stream's bytes.
  std::array<std::string, 2> pending_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_
