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

}  // namespace

OutputCollector::OutputCollector(std::size_t limit) : limit_(limit) {}

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
  Keep(stream == OutputStream::kStdout ? Source::kStdout : Source::kStderr, bytes);
  kept_stream_bytes_ += bytes.size();
  if (truncated_) {
    cut_at_ = output_.size();
    pending_ = {};
  }
}

void OutputCollector::AppendNote(std::string_view note) {
  FlushPending(OutputStream::kStdout);
  FlushPending(OutputStream::kStderr);
  Keep(Source::kNote, note);
}

bool OutputCollector::AtLineStart() const { return output_.empty() || output_.back() == '\n'; }

void OutputCollector::Keep(Source source, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!segments_.empty() && segments_.back().source == source &&
      segments_.back().end == output_.size()) {
    segments_.back().end += bytes.size();
  } else {
    segments_.push_back({source, output_.size(), output_.size() + bytes.size()});
  }
  output_.append(bytes);
}

void OutputCollector::FlushPending(OutputStream stream) {
  std::string& pending = pending_[static_cast<int>(stream)];
  if (pending.empty()) return;
  std::string bytes;
  bytes.swap(pending);
  // An incomplete character at the end of a stream stays incomplete: keep it for SanitizeUtf8
  // to replace, unless it no longer fits.
  if (kept_stream_bytes_ + bytes.size() > limit_) {
    truncated_ = true;
    cut_at_ = output_.size();
    return;
  }
  Keep(stream == OutputStream::kStdout ? Source::kStdout : Source::kStderr, bytes);
  kept_stream_bytes_ += bytes.size();
}

void OutputCollector::FinishInto(CodeResult& result) {
  CollectedOutput collected = Finish();
  result.output = std::move(collected.output);
  result.stdout_text = std::move(collected.stdout_text);
  result.stderr_text = std::move(collected.stderr_text);
  result.truncated = collected.truncated;
  if (result.truncated &&
      (result.status == ExecutionStatus::kOk || result.status == ExecutionStatus::kError)) {
    result.status = ExecutionStatus::kOutputLimit;
  }
}

CollectedOutput OutputCollector::Finish() {
  FlushPending(OutputStream::kStdout);
  FlushPending(OutputStream::kStderr);
  CollectedOutput result;
  result.truncated = truncated_;
  for (const Segment& segment : segments_) {
    std::string_view text(output_.data() + segment.begin, segment.end - segment.begin);
    if (segment.source == Source::kStdout) result.stdout_text.append(text);
    if (segment.source == Source::kStderr) result.stderr_text.append(text);
  }
  if (truncated_) {
    std::string note = fmt::format("{}[output truncated: {} bytes printed, the first {} kept]\n",
                                   cut_at_ == 0 || output_[cut_at_ - 1] == '\n' ? "" : "\n",
                                   total_bytes_, kept_stream_bytes_);
    output_.insert(cut_at_, note);
  }
  result.output = std::move(output_);
  SanitizeUtf8(result.output);
  SanitizeUtf8(result.stdout_text);
  SanitizeUtf8(result.stderr_text);
  segments_.clear();
  return result;
}

}  // namespace codeexec
