#include "process/output_collector.h"

#include <fmt/format.h>

#include "core/utf8.h"

namespace codeexec {
namespace {

// How many bytes at the end of `bytes` begin a UTF-8 character that is not complete yet.
std::size_t IncompleteTail(std::string_view bytes) {
  std::size_t n = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
    std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

TextKind KindOf(OutputStream stream) {
  return stream == OutputStream::kStdout ? TextKind::kStdout : TextKind::kStderr;
}

}  // namespace

OutputCollector::OutputCollector(std::size_t limit, TextSink sink)
    : limit_(limit), sink_(std::move(sink)) {}

void OutputCollector::Append(OutputStream stream, std::string_view bytes) {
  total_bytes_ += bytes.size();
  if (truncated_) return;
  std::string& pending = pending_[static_cast<int>(stream)];
  std::string joined;
  if (!pending.empty()) {
    joined = pending + std::string(bytes);
    pending.clear();
    bytes = joined;
  }
  std::size_t tail = IncompleteTail(bytes);
  pending.assign(bytes.substr(bytes.size() - tail));
  bytes.remove_suffix(tail);

  std::size_t room = limit_ - kept_stream_bytes_;
  if (bytes.size() > room) {
    bytes = bytes.substr(0, Utf8CutPoint(bytes, room));
    truncated_ = true;
  }
  Keep(KindOf(stream), bytes);
  kept_stream_bytes_ += bytes.size();
  if (truncated_) pending_ = {};
}

void OutputCollector::AppendNote(std::string_view note) {
  FlushPending(OutputStream::kStdout);
  FlushPending(OutputStream::kStderr);
  AddTruncationNote();
  Keep(TextKind::kNote, note);
}

void OutputCollector::BeginBlock() {
  if (block_ >= 0) EndBlock();
  ++block_;
}

void OutputCollector::EndBlock() {
  FlushPending(OutputStream::kStdout);
  FlushPending(OutputStream::kStderr);
  AddTruncationNote();
}

bool OutputCollector::AtLineStart() const { return output_.empty() || output_.back() == '\n'; }

void OutputCollector::Keep(TextKind kind, std::string_view bytes) {
  if (bytes.empty()) return;
  std::size_t begin = output_.size();
  output_.append(bytes);
  // Valid UTF-8 from here on: pieces only ever end at a character's end (or a stream's), so
  // repairing each piece alone repairs the whole alike.
  if (ValidUtf8Prefix(bytes) != bytes.size()) {
    std::string repaired(bytes);
    SanitizeUtf8(repaired);
    output_.replace(begin, bytes.size(), repaired);
  }
  if (!segments_.empty() && segments_.back().kind == kind && segments_.back().end == begin &&
      segments_.back().block == block_) {
    segments_.back().end = output_.size();
  } else {
    segments_.push_back({kind, begin, output_.size(), block_});
  }
  if (sink_) sink_(kind, std::string_view(output_).substr(begin));
}

void OutputCollector::FlushPending(OutputStream stream) {
  std::string& pending = pending_[static_cast<int>(stream)];
  if (pending.empty()) return;
  std::string bytes;
  bytes.swap(pending);
  // An incomplete character at the end of a stream stays incomplete: Keep replaces it, unless it
  // no longer fits.
  if (kept_stream_bytes_ + bytes.size() > limit_) {
    truncated_ = true;
    return;
  }
  Keep(KindOf(stream), bytes);
  kept_stream_bytes_ += bytes.size();
}

void OutputCollector::AddTruncationNote() {
  if (!truncated_ || truncation_noted_) return;
  truncation_noted_ = true;
  Keep(TextKind::kNote, fmt::format("{}[output truncated: {} bytes printed, the first {} kept]\n",
                                    AtLineStart() ? "" : "\n", total_bytes_, kept_stream_bytes_));
}

void OutputCollector::FinishInto(CodeResult& result) {
  CollectedOutput collected = Finish();
  result.output = std::move(collected.output);
  result.stdout_text = std::move(collected.stdout_text);
  result.stderr_text = std::move(collected.stderr_text);
  result.truncated = collected.truncated;
  for (std::size_t i = 0; i < result.blocks.size() && i < collected.blocks.size(); ++i) {
    result.blocks[i].output = std::move(collected.blocks[i].output);
    result.blocks[i].stdout_text = std::move(collected.blocks[i].stdout_text);
    result.blocks[i].stderr_text = std::move(collected.blocks[i].stderr_text);
  }
  if (result.truncated &&
      (result.status == ExecutionStatus::kOk || result.status == ExecutionStatus::kError)) {
    result.status = ExecutionStatus::kOutputLimit;
  }
}

CollectedOutput OutputCollector::Finish() {
  EndBlock();
  CollectedOutput result;
  result.truncated = truncated_;
  result.blocks.resize(static_cast<std::size_t>(block_ + 1));
  for (const Segment& segment : segments_) {
    std::string_view text(output_.data() + segment.begin, segment.end - segment.begin);
    std::vector<CollectedText*> into = {&result};
    if (segment.block >= 0) into.push_back(&result.blocks[static_cast<std::size_t>(segment.block)]);
    for (CollectedText* target : into) {
      if (segment.kind == TextKind::kStdout) target->stdout_text.append(text);
      if (segment.kind == TextKind::kStderr) target->stderr_text.append(text);
      if (target != &result) target->output.append(text);
    }
  }
  result.output = std::move(output_);
  output_.clear();
  segments_.clear();
  return result;
}

}  // namespace codeexec
