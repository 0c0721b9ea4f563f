// `codeexec docker gc` and `codeexec docker build-image`: housekeeping for the Docker executor.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "codeexec/languages.h"
#include "docker/build_image.h"
#include "docker/docker_client.h"
#include "docker/leftovers.h"
#include "process/environment.h"
#include "process/run.h"

namespace codeexec::cli {
namespace {

struct GcArgs {
  bool all = false;
  std::vector<std::string> labels;
  std::string docker_host;
};

int CollectGarbage(const GcArgs& args) {
  auto endpoint = docker::ResolveDockerEndpoint(args.docker_host);
  if (!endpoint) return Fail(kUsageError, endpoint.error().message());
  auto client = docker::DockerClient::Connect(*endpoint);
  if (!client) return Fail(kFailure, client.error().message());
  auto report = docker::RemoveLeftoverContainers(*client, args.all, args.labels);
  if (!report) return Fail(kFailure, report.error().message());
  fmt::print("removed {} container{}{}{}\n", report->removed.size(),
             report->removed.size() == 1 ? "" : "s", report->removed.empty() ? "" : ": ",
             fmt::join(report->removed, ", "));
  if (!report->kept.empty()) {
    fmt::print("kept {} of running executors (--all removes them too): {}\n", report->kept.size(),
               fmt::join(report->kept, ", "));
  }
  for (const auto& failure : report->failed) Fail(kFailure, "cannot remove " + failure);
  return report->failed.empty() ? 0 : kFailure;
}

// Runs the compiled-in build script with bash; its progress goes to stderr as it comes.
int BuildImage(const std::string& tag) {
  auto bash = FindProgram("bash", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  if (!bash) return Fail(kFailure, "building the image needs bash, which is not installed");
  Environment environment = Environment::FromOptions({});
  SpawnSpec spec{*bash,
                 {*bash, "-c", std::string(docker::BuildImageScript()), "build-image", tag},
                 environment.envp(),
                 "",
                 STDERR_FILENO};
  RunLimits limits;
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::hours(2);
  OutputCollector unused(1);
  CancellationToken cancel;
  Result<RunOutcome> outcome;
  {
    SignalCanceller canceller(cancel);
    outcome = RunToCompletion(spec, limits, cancel, unused);
  }
  if (!outcome) return Fail(kFailure, outcome.error().message());
  return outcome->cancelled ? kFailure : outcome->exit_code;
}

}  // namespace

void AddDockerCommand(CLI::App& app, int* status) {
  auto* docker = app.add_subcommand("docker", "Housekeeping for the Docker executor.");
  docker->require_subcommand(1);

  auto gc_args = std::make_shared<GcArgs>();
  auto* gc = docker->add_subcommand(
      "gc",
      "Remove the containers codeexec left behind: stopped ones, and those whose process is gone "
      "(crashed runs). Containers of running executors are kept.");
  gc->add_flag("--all", gc_args->all, "Remove every codeexec container, running or not.");
  gc->add_option("--label", gc_args->labels,
                 "Only containers that also carry this label (KEY or KEY=VALUE; repeatable).");
  gc->add_option("--docker-host", gc_args->docker_host,
                 "The daemon's address (default: $DOCKER_HOST, else "
                 "unix:///var/run/docker.sock).");
  gc->callback([gc_args, status] { *status = CollectGarbage(*gc_args); });

  auto tag = std::make_shared<std::string>(docker::kDefaultBuiltImage);
  auto* build = docker->add_subcommand(
      "build-image",
      "Build a Debian bookworm image with python3, numpy, matplotlib and ipykernel from Debian's "
      "packages (mmdebstrap + docker import; no image registry needed). Skipped when the tag "
      "exists.");
  build->add_option("--tag", *tag, "The image's name.")->capture_default_str();
  build->callback([tag, status] { *status = BuildImage(*tag); });
}

}  // namespace codeexec::cli
