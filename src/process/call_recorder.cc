#include "process/call_recorder.h"

namespace codeexec {
namespace {

TextSink EventsOf(const ExecutionContext& context, const int& block) {
  if (!context.streaming()) return {};
  return [&context, &block](TextKind kind, std::string_view text) {
    ExecutionEvent event;
    event.type = kind == TextKind::kStdout   ? ExecutionEvent::Type::kStdout
                 : kind == TextKind::kStderr ? ExecutionEvent::Type::kStderr
                                             : ExecutionEvent::Type::kNote;
    event.block = block;
    event.text = std::string(text);
    context.Emit(event);
  };
}

}  // namespace

CallRecorder::CallRecorder(std::size_t output_limit, const ExecutionContext& context,
                           CodeResult& result)
    : context_(context), result_(result), output_(output_limit, EventsOf(context, block_)) {}

BlockResult& CallRecorder::BeginBlock() {
  ++block_;
  started_ = false;
  block_start_ = Clock::now();
  output_.BeginBlock();
  truncated_before_ = output_.truncated();
  return result_.blocks.emplace_back();
}

void CallRecorder::Started() {
  if (started_) return;
  started_ = true;
  const BlockResult& block = result_.blocks.back();
  ExecutionEvent event;
  event.type = ExecutionEvent::Type::kBlockStart;
  event.block = block_;
  event.language = block.language;
  event.code_file = block.code_file;
  context_.Emit(event);
}

void CallRecorder::EndBlock() {
  Started();
  output_.EndBlock();
  BlockResult& block = result_.blocks.back();
  if (output_.truncated() && !truncated_before_ &&
      (block.status == ExecutionStatus::kOk || block.status == ExecutionStatus::kError)) {
    block.status = ExecutionStatus::kOutputLimit;
  }
  block.duration = Clock::now() - block_start_;
  result_.exit_code = block.exit_code;
  if (block.status != ExecutionStatus::kOk) result_.status = block.status;
  if (!result_.code_file) result_.code_file = block.code_file;
  result_.output_files.insert(result_.output_files.end(), block.output_files.begin(),
                              block.output_files.end());
  ExecutionEvent end;
  end.type = ExecutionEvent::Type::kBlockEnd;
  end.block = block_;
  end.exit_code = block.exit_code;
  end.status = block.status;
  end.duration = block.duration;
  context_.Emit(end);
}

void CallRecorder::Finish() {
  output_.FinishInto(result_);
  result_.duration = Clock::now() - call_start_;
}

}  // namespace codeexec
