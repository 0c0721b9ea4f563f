#include "docker/runner_channel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "codeexec/log.h"

namespace codeexec::docker {
namespace {

using runner::FrameType;

int MillisUntil(RunnerChannel::Clock::time_point when) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(when - RunnerChannel::Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

Error StreamEnded() {
  return Error(ErrorCode::kUnavailable, "the container's runner stopped (its stream ended)");
}

}  // namespace

RunnerChannel::RunnerChannel(HeldConnection connection)
    : fd_(std::move(connection.fd)),
      pending_(std::move(connection.leftover)),
      demux_([this](OutputStream stream, std::string_view bytes) {
        if (stream == OutputStream::kStderr) {
          Log(LogLevel::kWarning, fmt::format("codeexec-runner: {}", bytes));
          return;
        }
        bool ok = frames_.Feed(bytes, [this](FrameType type, std::string_view payload) {
          if (on_frame_ != nullptr) (*on_frame_)(type, payload);
        });
        malformed_ = malformed_ || !ok;
      }) {
  if (fd_.get() >= 0) fcntl(fd_.get(), F_SETFL, fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
}

Result<void> RunnerChannel::Send(FrameType type, std::string_view payload,
                                 Clock::time_point deadline) {
  std::string frame;
  runner::AppendFrame(frame, type, payload);
  std::string_view rest = frame;
  while (!rest.empty()) {
    // send() rather than write(): a daemon that closed the connection must not SIGPIPE us.
    ssize_t n = send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) {
      rest.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (Clock::now() >= deadline) {
        broken_ = true;
        return MakeError(ErrorCode::kTimeout,
                         "the Docker daemon did not take a request for the container's runner in "
                         "time");
      }
      pollfd writable{fd_.get(), POLLOUT, 0};
      poll(&writable, 1, MillisUntil(deadline));
      continue;
    }
    broken_ = true;
    return tl::unexpected(StreamEnded());
  }
  return {};
}

Result<bool> RunnerChannel::Pump(Clock::time_point until, int also_fd,
                                 const FrameHandler& on_frame) {
  on_frame_ = &on_frame;
  struct Reset {
    const FrameHandler*& handler;
    ~Reset() { handler = nullptr; }
  } reset{on_frame_};
  if (!pending_.empty()) {
    std::string bytes = std::move(pending_);
    pending_.clear();
    demux_.Feed(bytes);
    return false;
  }
  pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {also_fd, POLLIN, 0}};
  int ready = poll(fds, also_fd >= 0 ? 2 : 1, MillisUntil(until));
  if (ready < 0 && errno != EINTR) return ErrnoError("poll", errno);
  if (fds[0].revents != 0) {
    char buffer[65536];
    ssize_t n = read(fd_.get(), buffer, sizeof(buffer));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      broken_ = true;
      return tl::unexpected(StreamEnded());
    }
    if (n > 0) demux_.Feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (malformed_) {
      broken_ = true;
      return MakeError(ErrorCode::kInternal, "the container's runner sent a malformed frame");
    }
  }
  return also_fd >= 0 && fds[1].revents != 0;
}

Result<void> RunnerChannel::AwaitReady(Clock::time_point deadline) {
  std::optional<uint32_t> version;
  FrameHandler on_frame = [&](FrameType type, std::string_view payload) {
    if (type == FrameType::kHello && payload.size() >= 4) version = runner::GetU32(payload.data());
  };
  while (!version) {
    if (Clock::now() >= deadline) {
      return MakeError(ErrorCode::kTimeout, "the container's runner did not start in time");
    }
    if (auto pumped = Pump(deadline, -1, on_frame); !pumped) return tl::unexpected(pumped.error());
  }
  if (*version != runner::kProtocolVersion) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the container's runner speaks protocol {}, this executor {}",
                                 *version, runner::kProtocolVersion));
  }
  ready_ = true;
  return {};
}

Result<RunnerOutcome> RunnerChannel::Run(const runner::RunRequest& request,
                                         Clock::time_point deadline,
                                         const CancellationToken& cancel, OutputCollector& output) {
  RunnerOutcome outcome;
  if (cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  if (broken_) return tl::unexpected(StreamEnded());
  if (auto sent = Send(FrameType::kRun, request.Encode(), deadline); !sent) {
    return tl::unexpected(sent.error());
  }
  bool done = false;
  std::optional<Error> failed;
  FrameHandler on_frame = [&](FrameType type, std::string_view payload) {
    if (type == FrameType::kStdout || type == FrameType::kStderr) {
      output.Append(type == FrameType::kStdout ? OutputStream::kStdout : OutputStream::kStderr,
                    payload);
    } else if (type == FrameType::kExit) {
      runner::ExitReport report;
      report.Decode(payload);
      outcome.exit_code = static_cast<int>(report.exit_code);
      if (report.oom_known) outcome.out_of_memory = report.oom_killed;
      done = true;
    } else if (type == FrameType::kFailed && payload.size() >= 4) {
      int error = static_cast<int>(runner::GetU32(payload.data()));
      failed = ErrnoError(fmt::format("cannot start {}", request.argv.front()), error).value();
      done = true;
    }
  };
  // Until the deadline or cancellation; then the kill, and the runner's report of the end.
  Clock::time_point until = deadline;
  bool interrupted = false;
  while (!done) {
    auto cancelled = Pump(until, interrupted ? -1 : cancel.wait_fd(), on_frame);
    if (!cancelled) return tl::unexpected(cancelled.error());
    if (done) break;
    bool expired = Clock::now() >= until;
    if (interrupted && expired) {
      broken_ = true;
      return MakeError(ErrorCode::kTimeout,
                       "the container's runner did not end a killed block in time");
    }
    if (!interrupted && (*cancelled || expired)) {
      (*cancelled ? outcome.cancelled : outcome.timed_out) = true;
      interrupted = true;
      until = Clock::now() + kKillGrace;
      if (auto sent = Send(FrameType::kKill, "", until); !sent) return tl::unexpected(sent.error());
    }
  }
  if (failed) return tl::unexpected(*failed);
  return outcome;
}

bool RunnerChannel::Idle() const {
  if (!ready_ || broken_ || fd_.get() < 0) return false;
  pollfd fds{fd_.get(), POLLIN, 0};
  return poll(&fds, 1, 0) == 0;
}

}  // namespace codeexec::docker
