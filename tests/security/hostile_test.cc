// Hostile code against the executors: the sandbox and Docker executors (every case they can
// contain) and the local executor (the cases where one of its limits applies). Each case asserts
// its safe outcome (hostile_cases.cc); after every case the host is unchanged, no process of the
// case is left on the host (a container's processes are the host's too), no sandbox process is
// left in a cgroup, and the executor still works. At the end no container or cgroup is left.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "codeexec/docker_executor.h"
#include "codeexec/local_executor.h"
#include "codeexec/sandbox_executor.h"
#include "command.h"
#include "docker_test_util.h"
#include "host_snapshot.h"
#include "hostile_cases.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using hostile::HostileCase;
using hostile::kMarker;
using ::testing::Not;

enum class Target { kSandbox, kDocker, kLocal };

struct HostileRun {
  Target target;
  HostileCase c;
};

// Test names and failure messages show a case by its name.
void PrintTo(const HostileRun& run, std::ostream* os) { *os << run.c.name; }

std::string DockerLabel() { return "hostile-" + std::to_string(getpid()); }

constexpr const char* kCgroupParents[] = {
    "/sys/fs/cgroup/memory/codeexec", "/sys/fs/cgroup/pids/codeexec",
    "/sys/fs/cgroup/unified/codeexec", "/sys/fs/cgroup/codeexec"};

// Processes in the cgroups of this process's sandboxes (named "<pid>-..."), other than this one
// (a thread of which lives in each slot's cgroup on v1).
std::vector<std::string> ProcessesInCodeexecCgroups() {
  std::vector<std::string> found;
  std::string ours = std::to_string(getpid()) + "-";
  for (const char* parent : kCgroupParents) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      if (!entry.is_directory() || entry.path().filename().string().rfind(ours, 0) != 0) continue;
      std::ifstream procs(entry.path() / "cgroup.procs");
      for (std::string pid; procs >> pid;) {
        if (pid != std::to_string(getpid())) found.push_back(entry.path().string() + ": " + pid);
      }
    }
  }
  return found;
}

// The cgroups of this process's sandboxes.
std::vector<std::string> CodeexecCgroups() {
  std::vector<std::string> found;
  std::string ours = std::to_string(getpid()) + "-";
  for (const char* parent : kCgroupParents) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      if (entry.is_directory() && entry.path().filename().string().rfind(ours, 0) == 0) {
        found.push_back(entry.path().string());
      }
    }
  }
  return found;
}

// The executors the cases run in, made at first use and kept for the whole suite, with the limits
// the cases expect: 3 s, 64 KiB of output, 256 MiB, 128 processes, 16 MiB files, 64 descriptors,
// 32 MiB of /tmp (8192 files in the container's), no network.
class Executors : public ::testing::Environment {
 public:
  static Executors* instance;

  void SetUp() override {
    // The host's secrets, which no case may print.
    setenv("CODEEXEC_HOSTILE_SECRET", hostile::HostSecret().c_str(), 1);
    std::ofstream(hostile::HostSecretFile()) << hostile::HostSecret() << "\n";
  }

  void TearDown() override {
    executors_.clear();
    std::error_code ignored;
    fs::remove(hostile::HostSecretFile(), ignored);
    fs::remove(hostile::HostVictimFile(), ignored);
    EXPECT_THAT(CodeexecCgroups(), ::testing::IsEmpty()) << "a cgroup outlived its executor";
    if (auto client = testing::DefaultDockerClient()) {
      auto left = client->ListContainers({"codeexec.test=" + DockerLabel()});
      ASSERT_TRUE(left) << left.error().message();
      for (const auto& container : *left) {
        ADD_FAILURE() << "container left behind: " << container.name;
        (void)client->RemoveContainer(container.id, /*force=*/true);
      }
    }
  }

  // The executor for `target`, or why there is none.
  Result<CodeExecutor*> Get(Target target) {
    if (auto found = executors_.find(target); found != executors_.end()) {
      return found->second.get();
    }
    auto made = Make(target);
    if (!made) return tl::unexpected(made.error());
    CodeExecutor* executor = made->get();
    executors_[target] = std::move(*made);
    return executor;
  }

 private:
  template <class Executor>
  static Result<std::unique_ptr<CodeExecutor>> Own(Result<Executor> made) {
    if (!made) return tl::unexpected(made.error());
    return std::make_unique<Executor>(std::move(*made));
  }

  Result<std::unique_ptr<CodeExecutor>> Make(Target target) {
    LocalExecutorOptions command_line;
    command_line.work_dir = work_.path() / std::to_string(static_cast<int>(target));
    fs::create_directories(command_line.work_dir);
    command_line.timeout = std::chrono::seconds(3);
    command_line.output_limit = 64 << 10;
    if (target == Target::kLocal) return Own(LocalCommandLineCodeExecutor::Create(command_line));
    if (target == Target::kDocker) {
      DockerExecutorOptions options;
      options.image = testing::DockerTestImage();
      options.work_dir = command_line.work_dir;
      options.timeout = command_line.timeout;
      options.output_limit = command_line.output_limit;
      options.memory_limit = 256 << 20;
      options.pids_limit = 128;
      options.tmpfs["/tmp"] = "size=32m,nr_inodes=8192";
      options.ulimits = {{"fsize", 16 << 20}, {"nofile", 64}};
      options.network_mode = "none";
      options.labels["codeexec.test"] = DockerLabel();
      return Own(DockerCommandLineCodeExecutor::Create(std::move(options)));
    }
    SandboxExecutorOptions options;  // its command line has the sandbox's own environment
    options.work_dir = command_line.work_dir;
    options.timeout = command_line.timeout;
    options.output_limit = command_line.output_limit;
    options.limits.memory_bytes = 256 << 20;
    options.limits.max_processes = 128;
    options.limits.file_size_bytes = 16 << 20;
    options.limits.open_files = 64;
    options.limits.tmp_bytes = 32 << 20;
    return Own(SandboxExecutor::Create(std::move(options)));
  }

  testing::TempDir work_{"hostile"};
  std::map<Target, std::unique_ptr<CodeExecutor>> executors_;
};

Executors* Executors::instance =
    static_cast<Executors*>(::testing::AddGlobalTestEnvironment(new Executors));

// The host as hostile code could change it (host_snapshot.h), and paths no case may create.
testing::HostSnapshot HostState() {
  testing::HostSnapshot state = testing::HostSnapshot::Take();
  for (const char* path : {"/x", "/usr/x", "/etc/x", "/bin/x"}) {
    state.entries[std::string("path ") + path] = fs::exists(path) ? "exists" : "";
  }
  return state;
}

class HostileTest : public ::testing::TestWithParam<HostileRun> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (testing::InCi()) FAIL() << "the hostile suite needs root, and CI runs as root";
      GTEST_SKIP() << "the sandbox and the Docker daemon need root";
    }
    auto executor = Executors::instance->Get(GetParam().target);
    if (!executor) {
      // Only the Docker executor may be missing, and only outside CI (no daemon or no image).
      if (GetParam().target != Target::kDocker || testing::InCi()) {
        FAIL() << executor.error().ToString();
      }
      GTEST_SKIP() << "needs a Docker daemon and the test image: " << executor.error().ToString();
    }
    executor_ = *executor;
  }

  CodeExecutor* executor_ = nullptr;
};

TEST_P(HostileTest, IsContained) {
  const HostileRun& run = GetParam();
  testing::HostSnapshot before = HostState();
  auto result = executor_->ExecuteCodeBlocks(run.c.blocks);
  ASSERT_TRUE(result) << result.error().ToString();
  const hostile::Expect& expect = run.target == Target::kSandbox  ? run.c.sandbox
                                  : run.target == Target::kDocker ? run.c.docker
                                                                  : run.c.local;
  expect(*result);

  EXPECT_EQ(HostState().ChangesSince(before), "") << "the host changed";
  auto leftovers = testing::RunCommand({"/usr/bin/pgrep", "-af", kMarker});
  EXPECT_EQ(leftovers.stdout_text, "") << "a process outlived the run";
  auto again = executor_->ExecuteCodeBlocks({{"sh", "echo alive"}});
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->output, "alive\n") << "the executor no longer works";
  EXPECT_THAT(ProcessesInCodeexecCgroups(), ::testing::IsEmpty()) << "a process outlived the run";
}

// The cases with an expectation for `target`.
std::vector<HostileRun> RunsFor(Target target) {
  std::vector<HostileRun> runs;
  for (auto& c : hostile::Cases()) {
    const hostile::Expect& expect = target == Target::kSandbox  ? c.sandbox
                                    : target == Target::kDocker ? c.docker
                                                                : c.local;
    if (expect) runs.push_back({target, std::move(c)});
  }
  return runs;
}

std::string RunName(const ::testing::TestParamInfo<HostileRun>& info) { return info.param.c.name; }

INSTANTIATE_TEST_SUITE_P(Sandbox, HostileTest, ::testing::ValuesIn(RunsFor(Target::kSandbox)),
                         RunName);
INSTANTIATE_TEST_SUITE_P(Docker, HostileTest, ::testing::ValuesIn(RunsFor(Target::kDocker)),
                         RunName);
INSTANTIATE_TEST_SUITE_P(Local, HostileTest, ::testing::ValuesIn(RunsFor(Target::kLocal)), RunName);

// A fresh sandbox executor for the tests below, or a skip (a failure in CI) without root.
std::optional<SandboxExecutor> MakeSandbox(const testing::TempDir& work) {
  if (geteuid() != 0) return std::nullopt;
  SandboxExecutorOptions options;
  options.work_dir = work.path();
  auto executor = SandboxExecutor::Create(std::move(options));
  EXPECT_TRUE(executor) << executor.error().ToString();
  if (!executor) return std::nullopt;
  return std::move(*executor);
}

#define REQUIRE_SANDBOX(executor)                                               \
  if (!executor) {                                                              \
    if (testing::InCi() || geteuid() == 0) FAIL() << "cannot create a sandbox"; \
    GTEST_SKIP() << "the sandbox needs root";                                   \
  }

TEST(HostilePersistence, NothingPersistsBetweenRunsInTmpOrShm) {
  testing::TempDir work("hostile-persist");
  auto executor = MakeSandbox(work);
  REQUIRE_SANDBOX(executor);
  auto write = executor->ExecuteCodeBlocks(
      {{"sh", "echo x > /tmp/persist; echo x > /dev/shm/persist; echo ok"}});
  ASSERT_TRUE(write);
  ASSERT_EQ(write->output, "ok\n");
  auto read =
      executor->ExecuteCodeBlocks({{"sh", "ls /tmp/persist /dev/shm/persist 2>/dev/null | wc -l"}});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->stdout_text, "0\n");
}

TEST(HostileCgroups, NoCgroupOutlivesTheExecutor) {
  testing::TempDir work("hostile-cgroups");
  {
    auto executor = MakeSandbox(work);
    REQUIRE_SANDBOX(executor);
    // Two callers at once: two slots, two cgroups.
    std::thread other([&] { (void)executor->ExecuteCodeBlocks({{"sh", "sleep 0.3"}}); });
    auto result = executor->ExecuteCodeBlocks({{"sh", "sleep 0.3; echo ok"}});
    other.join();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->output, "ok\n");
    EXPECT_THAT(CodeexecCgroups(), Not(::testing::IsEmpty()));
  }
  EXPECT_THAT(CodeexecCgroups(), ::testing::IsEmpty());
}

// A process killed before its executor could clean up leaves empty cgroups; the next executor
// removes them.
TEST(HostileCgroups, CgroupsOfADeadProcessAreRemovedByTheNextExecutor) {
  testing::TempDir work("hostile-orphans");
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  std::vector<fs::path> orphans;
  for (const char* parent : kCgroupParents) {
    if (!fs::is_directory(parent)) continue;
    orphans.push_back(fs::path(parent) / (std::to_string(dead) + "-orphan-0"));
    ASSERT_TRUE(fs::create_directory(orphans.back())) << orphans.back();
  }
  {
    auto executor = MakeSandbox(work);
    REQUIRE_SANDBOX(executor);
  }
  for (const auto& orphan : orphans) EXPECT_FALSE(fs::exists(orphan)) << orphan;
}

TEST(HostilePorts, APortBoundInsideIsInvisibleOutside) {
  testing::TempDir work("hostile-port");
  auto executor = MakeSandbox(work);
  REQUIRE_SANDBOX(executor);
  std::atomic<bool> connected{false};
  std::thread prober([&] {
    for (int i = 0; i < 20 && !connected; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(47831);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
        connected = true;
      close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto result = executor->ExecuteCodeBlocks(
      {{"python",
        "import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', 47831))\n"
        "s.listen()\nprint('listening', flush=True)\ntime.sleep(1.2)"}});
  prober.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "listening\n");
  EXPECT_FALSE(connected);
}

}  // namespace
}  // namespace codeexec
