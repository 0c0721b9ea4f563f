#include "docker/container_runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "codeexec/log.h"
#include "core/ascii.h"

namespace codeexec::docker {

Result<RunOutcome> ContainerRunner::Run(const Step& step, const RunLimits& limits,
                                        const CancellationToken& cancel, OutputCollector& output) {
  if (container_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the executor was stopped; create a new one to run more code");
  }
  ExecConfig config;
  config.command = step.argv;
  for (char* const* entry = step.env->envp(); entry != nullptr && *entry != nullptr; ++entry) {
    config.env.emplace_back(*entry);
  }
  config.working_dir = step.working_folder.empty() ? std::string(kWorkspace) : step.working_folder;
  config.user = user_;
  if (step.standard_input != nullptr) config.standard_input = *step.standard_input;
  RunOutcome outcome;
  // Without a mount, the block's files go in first and what it wrote comes out after, whatever
  // the outcome (a timed-out block's partial files too; a cancelled one's come with the next
  // copy).
  if (auto synced = container_->SyncIn(limits.deadline, cancel); !synced) {
    if (synced.error().code() == ErrorCode::kResourceExhausted) {
      // Like a full disk: the block fails, and says why.
      output.AppendNote(
          fmt::format("{}{}\n", output.AtLineStart() ? "" : "\n", synced.error().message()));
      outcome.exit_code = 1;
    } else if (cancel.IsCancelled()) {
      outcome.cancelled = true;
    } else if (Container::Clock::now() >= limits.deadline) {
      outcome.timed_out = true;
    } else {
      return tl::unexpected(synced.error());
    }
    return outcome;
  }
  auto exec = container_->Run(config, limits.deadline, cancel, output);
  if (!exec) {
    if (auto scrubbed = Scrub(); !scrubbed) Log(LogLevel::kWarning, scrubbed.error().message());
    return tl::unexpected(exec.error());
  }
  if (!exec->cancelled) {
    auto synced = container_->SyncOut(Container::Clock::time_point::max(), cancel);
    if (!synced && !cancel.IsCancelled()) return tl::unexpected(synced.error());
    exec->cancelled = !synced;
  }
  if (auto scrubbed = Scrub(); !scrubbed) return tl::unexpected(scrubbed.error());
  outcome.exit_code = exec->exit_code;
  outcome.signal = exec->exit_code > 128 ? exec->exit_code - 128 : 0;
  outcome.timed_out = exec->timed_out;
  outcome.cancelled = exec->cancelled;
  outcome.memory_limit_exceeded = exec->out_of_memory;
  return outcome;
}

Result<void> ContainerRunner::Scrub() const {
  if (files_ == nullptr || container_ == nullptr || container_->copies_work_dir()) return {};
  auto report = ScrubSpecialFiles(*files_);
  if (!report) {
    return MakeError(report.error().code(),
                     fmt::format("cannot clear the work folder {} of the device nodes, FIFOs, "
                                 "sockets and set-user-ID files code may leave there ({}). Check "
                                 "the folder before using it on this host.",
                                 files_->path().string(), report.error().message()));
  }
  if (report->removed > 0 || report->stripped > 0) {
    Log(LogLevel::kInfo,
        fmt::format("removed {} FIFOs, sockets or device nodes and cleared {} set-user-ID or "
                    "set-group-ID bits that a block left in {}",
                    report->removed, report->stripped, files_->path().string()));
  }
  return {};
}

std::optional<std::string> ContainerRunner::ResolveTool(const LanguageSpec& spec,
                                                        std::string_view /*path_env*/,
                                                        const CancellationToken& cancel) {
  if (spec.tools.empty()) return std::nullopt;
  if (container_ == nullptr) return spec.tools.front();  // Run reports the stopped executor
  ExecConfig config{
      {"/bin/sh", "-c", "for t in \"$@\"; do command -v \"$t\" && exit 0; done; exit 127", "sh"},
      {},
      std::string(kWorkspace),
      user_};
  config.command.insert(config.command.end(), spec.tools.begin(), spec.tools.end());
  OutputCollector output(4096);
  // Within the block's time, and ended by its cancellation.
  auto bound = std::min<std::chrono::milliseconds>(std::chrono::seconds(30), timeout_);
  auto exec = container_->Run(config, Container::Clock::now() + bound, cancel, output);
  if (!exec || exec->timed_out || exec->cancelled) {
    // The daemon, the container or the clock failed, not the lookup: the first tool is tried,
    // and the run step reports what is wrong.
    Log(LogLevel::kWarning,
        fmt::format("looking for {} in the container: {}", spec.name,
                    !exec ? exec.error().message()
                          : std::string(exec->timed_out ? "out of time" : "cancelled")));
    return spec.tools.front();
  }
  std::string found = output.Finish().stdout_text;
  found = std::string(TrimBlanks(found.substr(0, found.find('\n'))));
  if (exec->exit_code != 0 || found.empty()) return std::nullopt;
  return found;
}

}  // namespace codeexec::docker
