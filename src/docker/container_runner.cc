#include "docker/container_runner.h"

#include <fmt/format.h>

#include "codeexec/log.h"
#include "core/ascii.h"

namespace codeexec::docker {

std::string ContainerRunner::ToContainerPath(std::string_view text) const {
  if (host_work_dir_.empty()) return std::string(text);
  std::string out;
  std::size_t at = 0;
  for (;;) {
    std::size_t found = text.find(host_work_dir_, at);
    if (found == std::string_view::npos) break;
    std::size_t after = found + host_work_dir_.size();
    if (after < text.size() && text[after] != '/') {  // a longer name: /work vs /worker
      out.append(text.substr(at, after - at));
      at = after;
      continue;
    }
    out.append(text.substr(at, found - at)).append(kWorkspace);
    at = after;
  }
  out.append(text.substr(at));
  return out;
}

Result<RunOutcome> ContainerRunner::Run(const SpawnSpec& spec, const RunLimits& limits,
                                        const CancellationToken& cancel, OutputCollector& output) {
  if (container_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the executor was stopped; create a new one to run more code");
  }
  ExecConfig config;
  for (const std::string& arg : spec.argv) config.command.push_back(ToContainerPath(arg));
  for (char* const* entry = spec.envp; entry != nullptr && *entry != nullptr; ++entry) {
    config.env.emplace_back(*entry);
  }
  config.working_dir = spec.cwd.empty() ? std::string(kWorkspace) : ToContainerPath(spec.cwd);
  config.user = user_;
  // Without a mount, the block's files go in first and what it wrote comes out after, whatever
  // the outcome (a timed-out block's partial files too).
  if (auto synced = container_->SyncIn(); !synced) return tl::unexpected(synced.error());
  auto exec = container_->Run(config, limits.deadline, cancel, output);
  if (!exec) return tl::unexpected(exec.error());
  if (auto synced = container_->SyncOut(); !synced) return tl::unexpected(synced.error());
  RunOutcome outcome;
  outcome.exit_code = exec->exit_code;
  outcome.signal = exec->exit_code > 128 ? exec->exit_code - 128 : 0;
  outcome.timed_out = exec->timed_out;
  outcome.cancelled = exec->cancelled;
  outcome.memory_limit_exceeded = exec->out_of_memory;
  return outcome;
}

std::optional<std::string> ContainerRunner::ResolveTool(const LanguageSpec& spec,
                                                        std::string_view /*path_env*/) {
  if (spec.tools.empty()) return std::nullopt;
  if (container_ == nullptr) return spec.tools.front();  // Run reports the stopped executor
  ExecConfig config{
      {"/bin/sh", "-c", "for t in \"$@\"; do command -v \"$t\" && exit 0; done; exit 127", "sh"},
      {},
      std::string(kWorkspace),
      user_};
  config.command.insert(config.command.end(), spec.tools.begin(), spec.tools.end());
  OutputCollector output(4096);
  auto exec = container_->Run(config, Container::Clock::now() + std::chrono::seconds(30),
                              CancellationToken(), output);
  if (!exec) {
    // The daemon or the container failed, not the lookup: let the run step report that.
    Log(LogLevel::kWarning,
        fmt::format("looking for {} in the container: {}", spec.name, exec.error().message()));
    return spec.tools.front();
  }
  std::string found = output.Finish().stdout_text;
  found = std::string(TrimBlanks(found.substr(0, found.find('\n'))));
  if (exec->exit_code != 0 || found.empty()) return std::nullopt;
  return found;
}

}  // namespace codeexec::docker
