// The Docker executor against its floor, in one run.
//
//   docker_bench [--image IMAGE] [--quick]      default image: codeexec/python:bookworm
//
// Floors, through the same Engine API client the executor uses (so that only the executor's own
// work is measured):
//   start to ready  raw create + start of a container of the same configuration (image, mounts,
//                   main process)
//   per block       raw exec of the same interpreter on the same file: exec create, exec start
//                   (reading the output to the end), exec inspect
//   Stop()          raw forced removal of a running container
// Blocks are measured through the executor's runner (the default) and through the exec API
// (use_runner off), and with the work folder copied instead of mounted (bind_work_dir off). A new
// executor's time to ready is measured cold and with a warm pool. Measurements alternate
// executor and floor so that drift hits both alike; figures are medians. The scrub that follows
// every block in a mounted work folder (ScrubSpecialFiles) is timed on its own, on the blocks'
// folder and on larger ones, since its cost grows with the folder.
// Targets (issue #3): start to ready <= 1.1x, exec-API block <= 1.1x, runner block < 0.5x,
// Stop() < 0.5 s, ready from a warm pool < 50 ms.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "codeexec/docker_executor.h"
#include "core/confined_folder.h"
#include "docker/container.h"
#include "docker/docker_client.h"
#include "docker/runner_binary.h"
#include "docker/warm_pool.h"

namespace {

using namespace codeexec::bench;  // Median, TimeMillis, ...

namespace fs = std::filesystem;
using codeexec::DockerCommandLineCodeExecutor;
using codeexec::DockerExecutorOptions;
using codeexec::docker::DockerClient;

template <typename T>
T Check(codeexec::Result<T> result, std::string_view what) {
  if (!result) {
    fmt::print(stderr, "{}: {}\n", what, result.error().ToString());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// The executor's container without the executor: same image, mounts and main process.
codeexec::docker::ContainerConfig RawConfig(const std::string& image, const fs::path& work) {
  codeexec::docker::ContainerConfig config;
  config.image = image;
  config.entrypoint = {std::string(codeexec::docker::kRunnerInContainer)};
  config.open_stdin = true;
  config.working_dir = "/workspace";
  config.binds = {work.string() + ":/workspace:rw",
                  Check(codeexec::docker::RunnerOnHost(), "runner").string() + ":" +
                      std::string(codeexec::docker::kRunnerInContainer) + ":ro"};
  config.labels = {{"codeexec", "1"}, {"codeexec.bench", "1"}};
  config.auto_remove = true;
  return config;
}

// The floor of one block: exec the interpreter on the file, read its output, get its exit code.
void RawExec(const DockerClient& client, const std::string& container,
             const std::vector<std::string>& command) {
  auto exec_id = Check(client.CreateExec(container, {command, {}, "/workspace", ""}), "exec");
  codeexec::docker::StreamControl control;
  control.deadline = Clock::now() + std::chrono::seconds(60);
  Check(client.StartExec(exec_id, control, [](codeexec::OutputStream, std::string_view) {}),
        "exec start");
  for (;;) {
    auto state = Check(client.InspectExec(exec_id), "exec inspect");
    if (!state.running) break;
  }
}

struct Comparison {
  double executor_ms, floor_ms;
};

void Print(std::string_view what, Comparison c, std::string_view target) {
  fmt::print("{:<40} executor {:8.1f} ms   floor {:8.1f} ms   ratio {:.3f}x  ({})\n", what,
             c.executor_ms, c.floor_ms, c.executor_ms / c.floor_ms, target);
}

// Start to ready and Stop(), against raw create+start and raw forced removal.
void MeasureStartAndStop(const DockerClient& client, const DockerExecutorOptions& options,
                         const fs::path& work, int rounds) {
  std::vector<double> create_ms, raw_create_ms, stop_ms, raw_remove_ms;
  for (int i = 0; i < rounds + 1; ++i) {
    std::optional<DockerCommandLineCodeExecutor> executor;
    std::string id;
    auto create = [&] {
      return TimeMillis([&] {
        executor.emplace(Check(DockerCommandLineCodeExecutor::Create(options), "create"));
      });
    };
    auto raw_create = [&] {
      return TimeMillis([&] {
        id = Check(client.CreateContainer(RawConfig(options.image, work)), "raw create");
        Check(client.StartContainer(id), "raw start");
      });
    };
    auto stop = [&] { return TimeMillis([&] { Check(executor->Stop(), "stop"); }); };
    auto raw_remove = [&] {
      return TimeMillis([&] { Check(client.RemoveContainer(id, /*force=*/true), "raw remove"); });
    };
    // Which goes first alternates, so that neither always follows the other's removal.
    double created, raw_created, stopped, raw_removed;
    if (i % 2 == 0) {
      created = create();
      raw_created = raw_create();
      stopped = stop();
      raw_removed = raw_remove();
    } else {
      raw_created = raw_create();
      created = create();
      raw_removed = raw_remove();
      stopped = stop();
    }
    if (i == 0) continue;  // warm-up
    create_ms.push_back(created);
    raw_create_ms.push_back(raw_created);
    stop_ms.push_back(stopped);
    raw_remove_ms.push_back(raw_removed);
  }
  Print("start to ready", {Median(create_ms), Median(raw_create_ms)}, "target <= 1.1x");
  fmt::print("{:<40} executor {:8.1f} ms   raw forced removal {:6.1f} ms  (target < 500 ms)\n",
             "Stop()", Median(stop_ms), Median(raw_remove_ms));
}

// Per block, on executors of each kind and one raw container.
void MeasureBlocks(const DockerClient& client, const DockerExecutorOptions& options,
                   const fs::path& work, int rounds) {
  DockerExecutorOptions exec_options = options, copy_options = options;
  exec_options.use_runner = false;
  copy_options.bind_work_dir = false;
  auto runner = Check(DockerCommandLineCodeExecutor::Create(options), "create");
  auto exec = Check(DockerCommandLineCodeExecutor::Create(exec_options), "create");
  auto copy = Check(DockerCommandLineCodeExecutor::Create(copy_options), "create");
  if (!runner.uses_runner() || exec.uses_runner()) std::abort();
  std::string raw = Check(client.CreateContainer(RawConfig(options.image, work)), "raw create");
  Check(client.StartContainer(raw), "raw start");
  auto compare = [&](DockerCommandLineCodeExecutor& executor, const codeexec::CodeBlock& block,
                     const std::vector<std::string>& command) {
    std::vector<double> executor_ms, floor_ms;
    for (int i = 0; i < rounds + 3; ++i) {
      double run = TimeMillis([&] {
        auto result = executor.ExecuteCodeBlocks({block});
        if (!result || result->exit_code != 0) std::abort();
      });
      double floor = TimeMillis([&] { RawExec(client, raw, command); });
      if (i < 3) continue;  // warm-up (the first block also looks its interpreter up)
      executor_ms.push_back(run);
      floor_ms.push_back(floor);
    }
    return Comparison{Median(executor_ms), Median(floor_ms)};
  };
  codeexec::CodeBlock python{"python", "print(1)"}, bash{"bash", "echo hello"};
  std::vector<std::string> python_floor = {"python3", "floor.py"},
                           bash_floor = {"bash", "floor.sh"};
  Print("python print(1) block, runner", compare(runner, python, python_floor), "target < 0.5x");
  Print("python print(1) block, exec API", compare(exec, python, python_floor), "target <= 1.1x");
  Print("python print(1) block, work_dir copied", compare(copy, python, python_floor), "");
  Print("bash echo block, runner", compare(runner, bash, bash_floor), "");
  Print("bash echo block, exec API", compare(exec, bash, bash_floor), "");
  Check(client.RemoveContainer(raw, /*force=*/true), "raw remove");
}

// A new executor to ready (Create() returning), and to its first python block done, without and
// with a warm pool.
void MeasureNewExecutor(DockerExecutorOptions options, int rounds) {
  auto measure = [&](std::size_t pool) {
    options.warm_pool = pool;
    std::vector<double> ready_ms, first_block_ms;
    for (int i = 0; i < rounds + 1; ++i) {
      // A full pool, so that every round measures a take.
      for (int wait = 0; pool > 0 && wait < 1000; ++wait) {
        if (codeexec::docker::WarmPool::Shared().ready_count() >= pool) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::optional<DockerCommandLineCodeExecutor> executor;
      double ready = TimeMillis([&] {
        executor.emplace(Check(DockerCommandLineCodeExecutor::Create(options), "create"));
      });
      double block = TimeMillis([&] {
        auto result = executor->ExecuteCodeBlocks({{"python", "print(1)"}});
        if (!result || result->exit_code != 0) std::abort();
      });
      Check(executor->Stop(), "stop");
      if (i == 0) continue;  // warm-up (the first also fills the pool)
      ready_ms.push_back(ready);
      first_block_ms.push_back(ready + block);
    }
    return std::pair(Median(ready_ms), Median(first_block_ms));
  };
  auto [cold_ready, cold_block] = measure(0);
  auto [warm_ready, warm_block] = measure(1);
  DockerCommandLineCodeExecutor::DrainWarmPool();
  fmt::print("{:<40} cold {:8.1f} ms   warm pool {:8.1f} ms  (target < 50 ms)\n",
             "new executor -> ready", cold_ready, warm_ready);
  fmt::print("{:<40} cold {:8.1f} ms   warm pool {:8.1f} ms\n", "new executor -> first block done",
             cold_block, warm_block);
}

// ScrubSpecialFiles on `folder`, as every block in a mounted work folder pays for it.
double ScrubMillis(const fs::path& folder, int rounds) {
  auto files = Check(codeexec::ConfinedFolder::Open(folder), "open the folder");
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    times.push_back(TimeMillis([&] { Check(codeexec::ScrubSpecialFiles(files), "scrub"); }));
  }
  return Median(times);
}

// A folder of `count` small files spread over folders of 100 (bounded: at most 10000 files of 64
// bytes), removed by the caller.
void FillFolder(const fs::path& folder, int count) {
  for (int i = 0; i < std::min(count, 10000); ++i) {
    fs::path sub = folder / fmt::format("d{}", i / 100);
    fs::create_directories(sub);
    std::ofstream(sub / fmt::format("f{}.txt", i)) << std::string(64, 'x');
  }
}

void MeasureScrub(const fs::path& work, int rounds) {
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::recursive_directory_iterator(work)) ++entries;
  fmt::print("{:<40} {:8.3f} ms  ({} entries: the blocks' work folder)\n", "scrub after each block",
             ScrubMillis(work, rounds), entries);
  for (int count : {1000, 10000}) {
    fs::path folder =
        work.parent_path() / fmt::format("{}-scrub-{}", work.filename().string(), count);
    FillFolder(folder, count);
    fmt::print("{:<40} {:8.3f} ms  ({} files in {} folders)\n", "scrub after each block",
               ScrubMillis(folder, std::max(5, rounds / 10)), count, count / 100);
    fs::remove_all(folder);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string image = "codeexec/python:bookworm";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--image") == 0 && i + 1 < argc) image = argv[++i];
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  }
  const int start_rounds = quick ? 5 : 25, block_rounds = quick ? 20 : 100;
  auto endpoint = Check(codeexec::docker::ResolveDockerEndpoint(""), "endpoint");
  auto client = Check(DockerClient::Connect(endpoint), "connect");
  fs::path work = fs::temp_directory_path() / fmt::format("codeexec-docker-bench-{}", getpid());
  fs::create_directories(work);
  std::ofstream(work / "floor.py") << "print(1)";
  std::ofstream(work / "floor.sh") << "echo hello";
  DockerExecutorOptions options;
  options.image = image;
  options.work_dir = work;
  options.labels = {{"codeexec.bench", "1"}};
  fmt::print("codeexec Docker executor benchmark, image {} (medians)\n\n", image);
  MeasureStartAndStop(client, options, work, start_rounds);
  MeasureBlocks(client, options, work, block_rounds);
  MeasureScrub(work, block_rounds);
  DockerExecutorOptions fresh = options;
  fresh.work_dir.clear();  // each executor its own temporary folder, as most callers do
  MeasureNewExecutor(fresh, start_rounds);
  fs::remove_all(work);
  return 0;
}
