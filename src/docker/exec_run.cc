#include "docker/exec_run.h"

#include <fmt/format.h>

#include <optional>
#include <thread>

namespace codeexec::docker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The exec's exit code once the daemon has recorded it: the stream can close a moment before.
Result<int> WaitForExitCode(const DockerClient& client, const std::string& exec_id) {
  auto delay = 1ms;
  for (Clock::time_point give_up = Clock::now() + 10s;;) {
    auto state = client.InspectExec(exec_id);
    if (!state) return tl::unexpected(state.error());
    if (!state->running && state->exit_code) return *state->exit_code;
    if (Clock::now() > give_up) {
      return MakeError(ErrorCode::kInternal,
                       "the Docker daemon closed a command's output but never reported its exit");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

// `config` run by a shell that then kills whatever the command left running (`kill -1` spares the
// shell and the container's init), so that a command's end is its main process's exit, as with
// the runner, and nothing it started can change the work folder after it.
ExecConfig KillingLeftovers(const ExecConfig& config) {
  ExecConfig wrapped = config;
  wrapped.command = {"/bin/sh", "-c", "\"$@\"; status=$?; kill -9 -1 2>/dev/null; exit $status",
                     "sh"};
  wrapped.command.insert(wrapped.command.end(), config.command.begin(), config.command.end());
  return wrapped;
}

}  // namespace

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<ExecOutcome> RunExec(const DockerClient& client, std::string_view container_id,
                            const ExecConfig& config, Clock::time_point deadline,
                            const CancellationToken& cancel, OutputCollector& output) {
  ExecOutcome outcome;
  if (cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  // Until the exec starts, the deadline and cancellation end the requests themselves; afterwards
  // they end the stream, and the kill runs to its end whatever the token says.
  DockerClient bounded = client.Bounded(deadline, cancel);
  auto exec_id = bounded.CreateExec(container_id, KillingLeftovers(config));
  if (!exec_id) {
    if (cancel.IsCancelled() || Clock::now() >= deadline) {
      (cancel.IsCancelled() ? outcome.cancelled : outcome.timed_out) = true;
      return outcome;
    }
    return tl::unexpected(exec_id.error());
  }
  std::optional<Result<void>> killed;
  StreamControl control;
  control.deadline = deadline;
  control.cancel_fd = cancel.wait_fd();
  control.on_interrupt = [&](StreamEnd) { killed = KillAllButInit(client, container_id); };
  auto end = client.StartExec(*exec_id, control, [&](OutputStream stream, std::string_view bytes) {
    output.Append(stream, bytes);
  });
  if (!end) return tl::unexpected(end.error());
  if (*end != StreamEnd::kClosed) {
    (*end == StreamEnd::kDeadline ? outcome.timed_out : outcome.cancelled) = true;
    if (!killed) killed = KillAllButInit(client, container_id);  // before the stream began
    if (!*killed) return tl::unexpected(killed->error());
    return outcome;
  }
  auto exit_code = WaitForExitCode(client.Bounded(Clock::time_point::max(), cancel), *exec_id);
  if (!exit_code && cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  if (!exit_code) return tl::unexpected(exit_code.error());
  outcome.exit_code = *exit_code;
  return outcome;
}

Result<void> KillAllButInit(const DockerClient& client, std::string_view container_id) {
  // As root, so that processes of any user die; `kill -1` spares the caller and the namespace's
  // init.
  ExecConfig config{{"/bin/sh", "-c", "kill -9 -1 2>/dev/null; exit 0"}, {}, "/", "0"};
  auto exec_id = client.CreateExec(container_id, config);
  if (!exec_id) return tl::unexpected(exec_id.error());
  StreamControl control;
  control.deadline = Clock::now() + 30s;
  auto end = client.StartExec(*exec_id, control, [](OutputStream, std::string_view) {});
  if (!end) return tl::unexpected(end.error());
  if (*end != StreamEnd::kClosed) {
    return MakeError(ErrorCode::kTimeout,
                     "killing the processes in the container took more than 30 s");
  }
  return {};
}

Result<bool> WaitForOomEvent(const DockerClient& client, std::string_view container_id,
                             double since) {
  for (auto delay : {0ms, 20ms, 50ms, 100ms, 200ms}) {
    std::this_thread::sleep_for(delay);
    auto seen = client.OomEventBetween(container_id, since, WallSeconds());
    if (!seen || *seen) return seen;
  }
  return false;
}

}  // namespace codeexec::docker
