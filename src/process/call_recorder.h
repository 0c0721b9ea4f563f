// CallRecorder: the output and events of one call, block by block, for the executors' block
// loops. It owns the call's OutputCollector, whose text becomes stdout, stderr and note events
// of the block that runs, and keeps each block's start and end: the block_start event, its
// BlockResult (status output_limit when the output was cut during it, its duration), the call's
// exit code and status, and the block_end event.
#ifndef CODEEXEC_SRC_PROCESS_CALL_RECORDER_H_
#define CODEEXEC_SRC_PROCESS_CALL_RECORDER_H_

#include <chrono>
#include <cstddef>

#include "codeexec/executor.h"
#include "process/output_collector.h"

namespace codeexec {

class CallRecorder {
 public:
  CallRecorder(std::size_t output_limit, const ExecutionContext& context, CodeResult& result);
  CallRecorder(const CallRecorder&) = delete;
  CallRecorder& operator=(const CallRecorder&) = delete;

  OutputCollector& output() { return output_; }

  // Begins the call's next block; its BlockResult, in the call's result.
  BlockResult& BeginBlock();
  // Reports block_start with the block's language and file as they are now (once per block;
  // EndBlock reports it if the executor never did).
  void Started();
  // Ends the current block: its text completed, its status, its duration, the call's exit code
  // and status; block_end.
  void EndBlock();
  // The call's output, streams and truncation into the result, and its duration.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;

  const ExecutionContext& context_;
  CodeResult& result_;
  int block_ = -1;
  bool started_ = false;
  bool truncated_before_ = false;
  Clock::time_point call_start_ = Clock::now();
  Clock::time_point block_start_;
  OutputCollector output_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_PROCESS_CALL_RECORDER_H_
