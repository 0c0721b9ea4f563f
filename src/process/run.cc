#include "process/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace codeexec {
namespace {

using Clock = std::chrono::steady_clock;

int MillisUntil(Clock::time_point when) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

// The state of one run: which descriptors are still open and where in the kill sequence we are.
class Pump {
 public:
  Pump(ChildProcess& child, const RunLimits& limits, const CancellationToken& cancel,
       OutputCollector& output, StdinFeed* stdin_feed)
      : child_(child),
        limits_(limits),
        cancel_fd_(cancel.wait_fd()),
        output_(output),
        stdin_(stdin_feed) {
    if (stdin_ != nullptr && stdin_->data.empty()) stdin_->fd.Reset();
  }

  Result<RunOutcome> Run();

 private:
  enum class Phase { kRunning, kTerminating, kKilled, kExited };

  int NextTimeout() const;
  void OnTimer();
  void StartTermination(bool timed_out);
  Result<void> OnExit();
  void ReadAvailable(int fd, OutputStream stream);
  void WriteStdin();
  bool Done() const;

  ChildProcess& child_;
  const RunLimits& limits_;
  int cancel_fd_;
  OutputCollector& output_;
  StdinFeed* stdin_;
  Phase phase_ = Phase::kRunning;
  Clock::time_point phase_deadline_;
  RunOutcome outcome_;
  bool stdout_open_ = true;
  bool stderr_open_ = true;
};

int Pump::NextTimeout() const {
  switch (phase_) {
    case Phase::kRunning:
      return MillisUntil(limits_.deadline);
    case Phase::kTerminating:
    case Phase::kExited:
      return MillisUntil(phase_deadline_);
    case Phase::kKilled:
      return -1;  // SIGKILL cannot be ignored: the exit will come
  }
  return -1;
}

void Pump::StartTermination(bool timed_out) {
  (timed_out ? outcome_.timed_out : outcome_.cancelled) = true;
  child_.SignalGroup(SIGTERM);
  // A stopped process does not act on SIGTERM until it continues.
  child_.SignalGroup(SIGCONT);
  phase_ = Phase::kTerminating;
  phase_deadline_ = Clock::now() + limits_.kill_grace;
}

void Pump::OnTimer() {
  auto now = Clock::now();
  if (phase_ == Phase::kRunning && now >= limits_.deadline) {
    StartTermination(/*timed_out=*/true);
  } else if (phase_ == Phase::kTerminating && now >= phase_deadline_) {
    child_.SignalGroup(SIGKILL);
    phase_ = Phase::kKilled;
  } else if (phase_ == Phase::kExited && now >= phase_deadline_) {
    // Only a process that left our process group can still hold the pipes: stop waiting for it.
    stdout_open_ = stderr_open_ = false;
  }
}

Result<void> Pump::OnExit() {
  // The main process is a zombie, so its pid (and group id) is still ours: kill what it left
  // behind in its group before reaping, so nothing outlives the run.
  child_.SignalGroup(SIGKILL);
  auto exit = child_.Reap();
  if (!exit) return tl::unexpected(exit.error());
  outcome_.exit_code = exit->exit_code;
  outcome_.signal = exit->signal;
  phase_ = Phase::kExited;
  phase_deadline_ = Clock::now() + limits_.drain_after_exit;
  return {};
}

void Pump::ReadAvailable(int fd, OutputStream stream) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      output_.Append(stream, std::string_view(buffer, static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) < sizeof(buffer)) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    (stream == OutputStream::kStdout ? stdout_open_ : stderr_open_) = false;  // EOF or error
    return;
  }
}

// write(2) to a pipe whose reader is gone, without the SIGPIPE that would kill a host process
// that does not ignore it: the signal is blocked on this thread meanwhile and, when raised,
// consumed before it is unblocked.
ssize_t WriteWithoutSigpipe(int fd, std::string_view data) {
  sigset_t pipe_only, previous;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  ssize_t n;
  do {
    n = write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  if (n < 0 && errno == EPIPE) {
    timespec none{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &none) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return n;
}

void Pump::WriteStdin() {
  while (!stdin_->data.empty()) {
    ssize_t n = WriteWithoutSigpipe(stdin_->fd.get(), stdin_->data);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) break;  // EPIPE: the program stopped reading
    stdin_->data.remove_prefix(static_cast<std::size_t>(n));
  }
  stdin_->fd.Reset();  // end of file for the program
}

bool Pump::Done() const { return phase_ == Phase::kExited && !stdout_open_ && !stderr_open_; }

Result<RunOutcome> Pump::Run() {
  while (!Done()) {
    pollfd fds[5];
    int n = 0;
    int out_index = -1, err_index = -1, exit_index = -1, cancel_index = -1, in_index = -1;
    if (stdin_ != nullptr && stdin_->fd.valid() && phase_ != Phase::kExited) {
      fds[in_index = n++] = {stdin_->fd.get(), POLLOUT, 0};
    }
    if (stdout_open_) fds[out_index = n++] = {child_.stdout_fd(), POLLIN, 0};
    if (stderr_open_) fds[err_index = n++] = {child_.stderr_fd(), POLLIN, 0};
    if (phase_ != Phase::kExited) fds[exit_index = n++] = {child_.pidfd(), POLLIN, 0};
    if (phase_ == Phase::kRunning && cancel_fd_ >= 0) {
      fds[cancel_index = n++] = {cancel_fd_, POLLIN, 0};
    }
    int ready = poll(fds, static_cast<nfds_t>(n), NextTimeout());
    if (ready < 0 && errno != EINTR) return ErrnoError("poll", errno);
    if (ready <= 0) {
      OnTimer();
      continue;
    }
    auto fired = [&](int index) { return index >= 0 && fds[index].revents != 0; };
    if (fired(in_index)) WriteStdin();
    if (fired(out_index)) ReadAvailable(child_.stdout_fd(), OutputStream::kStdout);
    if (fired(err_index)) ReadAvailable(child_.stderr_fd(), OutputStream::kStderr);
    if (fired(cancel_index)) StartTermination(/*timed_out=*/false);
    if (fired(exit_index)) {
      if (auto exited = OnExit(); !exited) return tl::unexpected(exited.error());
    }
    // A program that never sleeps keeps poll busy: check the clock on every turn too.
    OnTimer();
  }
  return outcome_;
}

}  // namespace

Result<StdinPipe> MakeStdinPipe(std::string_view data) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  StdinPipe pipe{UniqueFd(fds[0]), StdinFeed{UniqueFd(fds[1]), data}};
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  return pipe;
}

Result<RunOutcome> RunToCompletion(const SpawnSpec& spec, const RunLimits& limits,
                                   const CancellationToken& cancel, OutputCollector& output,
                                   const std::string* standard_input) {
  if (cancel.IsCancelled()) {
    RunOutcome outcome;
    outcome.cancelled = true;
    return outcome;
  }
  std::optional<StdinPipe> in;
  SpawnSpec with_stdin = spec;
  if (standard_input != nullptr) {
    auto pipe = MakeStdinPipe(*standard_input);
    if (!pipe) return tl::unexpected(pipe.error());
    in.emplace(std::move(*pipe));
    with_stdin.stdin_fd = in->child_end.get();
  }
  auto child = Spawn(with_stdin);
  if (!child) return tl::unexpected(child.error());
  if (!in) return Supervise(*child, limits, cancel, output);
  in->child_end.Reset();
  return Supervise(*child, limits, cancel, output, &in->feed);
}

Result<RunOutcome> Supervise(ChildProcess& child, const RunLimits& limits,
                             const CancellationToken& cancel, OutputCollector& output,
                             StdinFeed* stdin_feed) {
  return Pump(child, limits, cancel, output, stdin_feed).Run();
}

}  // namespace codeexec
