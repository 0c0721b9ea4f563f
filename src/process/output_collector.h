// OutputCollector: keeps what a program prints, in the order it printed it, up to a limit, and
// passes each piece on as it arrives.
//
// Stream bytes (stdout, stderr) count against the limit; past it they are counted and dropped, so
// memory stays bounded whatever the program prints. Executor notes ("\nTimeout", "Code saved
// to ...") always go in. What is kept is valid UTF-8 from the start: a character split across two
// reads waits for its end (per stream, so the other stream's bytes never break it), and invalid
// bytes become U+FFFD. Each kept piece goes to the sink, if one is set, the moment it is kept:
// the sink sees exactly the text the result will hold, in the same order. When the limit is hit,
// a note at the cut says how much was printed and how much kept; it is added when the block ends
// or the next note comes, so that it can count what was printed meanwhile.
//
// An execution of several blocks marks where each begins (BeginBlock): Finish() then also gives
// each block's own output. Not thread-safe: one collector per execution.
#ifndef CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_
#define CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/types.h"

namespace codeexec {

enum class OutputStream { kStdout = 0, kStderr = 1 };

// What a piece of kept text is.
enum class TextKind { kStdout, kStderr, kNote };
using TextSink = std::function<void(TextKind kind, std::string_view text)>;

struct CollectedText {
  std::string output;  // interleaved, valid UTF-8
  std::string stdout_text;
  std::string stderr_text;
};

struct CollectedOutput : CollectedText {
  bool truncated = false;
  std::vector<CollectedText> blocks;  // one per BeginBlock, in order
};

class OutputCollector {
 public:
  explicit OutputCollector(std::size_t limit, TextSink sink = {});

  void Append(OutputStream stream, std::string_view bytes);
  void AppendNote(std::string_view note);

  // What follows belongs to a new block. Ends the previous one (EndBlock).
  void BeginBlock();
  // Completes the current block's text: a character left incomplete at the end of a stream is
  // kept as U+FFFD, and a pending truncation note is added.
  void EndBlock();

  bool truncated() const { return truncated_; }
  // Every stream byte seen, kept or not.
  uint64_t total_bytes() const { return total_bytes_; }
  // Whether the interleaved output so far is empty or ends with a newline.
  bool AtLineStart() const;

  CollectedOutput Finish();
  // Finish(), into an executor's result: output, streams and truncation, and each of
  // result.blocks' texts; a result that was ok or an error becomes kOutputLimit when the output
  // was cut.
  void FinishInto(CodeResult& result);

 private:
  struct Segment {
    TextKind kind;
    std::size_t begin, end;  // in output_
    int block;               // -1 before the first BeginBlock
  };

  void Keep(TextKind kind, std::string_view bytes);
  void FlushPending(OutputStream stream);
  void AddTruncationNote();

  std::size_t limit_;
  TextSink sink_;
  std::size_t kept_stream_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  bool truncated_ = false;
  bool truncation_noted_ = false;
  int block_ = -1;
  std::string output_;
  std::vector<Segment> segments_;
  // The start of a UTF-8 character whose remaining bytes have not arrived yet, per stream, so
  // that a character split across two reads is not broken by the other stream's bytes.
  std::array<std::string, 2> pending_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_PROCESS_OUTPUT_COLLECTOR_H_
