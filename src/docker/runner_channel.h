// RunnerChannel: the executor's end of a container's codeexec-runner (runner/protocol.h), over
// the daemon's attach stream: requests go to the container's stdin, and the runner's frames come
// back inside the daemon's multiplexed stdout (its stderr carries diagnostics, logged).
//
// Run() sends a block and reads its output into an OutputCollector as it arrives. On the deadline
// or cancellation it asks the runner to kill the block (everything the block started dies) and
// keeps reading until the runner reports the end, so output printed before the kill is kept.
// Closing the channel (Close, destruction, or this process dying) closes the container's stdin:
// the runner then kills everything and exits, which ends the container.
//
// Not thread-safe: one block at a time.
#ifndef CODEEXEC_SRC_DOCKER_RUNNER_CHANNEL_H_
#define CODEEXEC_SRC_DOCKER_RUNNER_CHANNEL_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "docker/daemon_http_client.h"
#include "docker/multiplexed_stream.h"
#include "docker/runner/protocol.h"
#include "process/output_collector.h"
#include "process/unique_fd.h"

namespace codeexec::docker {

struct RunnerOutcome {
  int exit_code = 0;  // or 128 + the signal that killed the block
  bool timed_out = false;
  bool cancelled = false;
  // Whether the OOM killer acted in the container during the block; nullopt when the runner
  // could not tell (no readable memory cgroup).
  std::optional<bool> out_of_memory;
};

class RunnerChannel {
 public:
  using Clock = std::chrono::steady_clock;

  // How long the runner may take to report a block's end after being told to kill it.
  static constexpr std::chrono::seconds kKillGrace{10};

  explicit RunnerChannel(HeldConnection connection);
  RunnerChannel(const RunnerChannel&) = delete;
  RunnerChannel& operator=(const RunnerChannel&) = delete;

  // Waits for the runner's greeting. kUnavailable when the stream ends first (the runner did not
  // start), kTimeout at the deadline, kFailedPrecondition for another protocol version.
  Result<void> AwaitReady(Clock::time_point deadline);

  // Runs `request` to its end, the deadline or cancellation. Errors: the block's program could
  // not start (the errno's code: kNotFound, kPermissionDenied, ...), and kUnavailable when the
  // stream ended (the container stopped; the channel is then broken()).
  Result<RunnerOutcome> Run(const runner::RunRequest& request, Clock::time_point deadline,
                            const CancellationToken& cancel, OutputCollector& output);

  // Open, greeted, and with nothing unexpected waiting (a warm container still usable).
  bool Idle() const;
  bool broken() const { return broken_; }
  void Close() { fd_.Reset(); }

 private:
  using FrameHandler = std::function<void(runner::FrameType, std::string_view)>;

  // Writes a frame, waiting for room up to `deadline` (then kTimeout, and the channel is broken:
  // part of a frame may have gone).
  Result<void> Send(runner::FrameType type, std::string_view payload, Clock::time_point deadline);
  // Waits up to `until` (or for `also_fd`) for bytes and hands their frames to `on_frame`.
  // Returns whether `also_fd` fired; kUnavailable at the end of the stream.
  Result<bool> Pump(Clock::time_point until, int also_fd, const FrameHandler& on_frame);

  UniqueFd fd_;
  std::string pending_;  // stream bytes that arrived with the attach response
  MultiplexedStreamDecoder demux_;
  runner::FrameDecoder frames_;
  const FrameHandler* on_frame_ = nullptr;  // for the decoder's sink, during Pump
  bool malformed_ = false;
  bool broken_ = false;
  bool ready_ = false;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_RUNNER_CHANNEL_H_
