// The sandbox executor against the real kernel: namespaces, mounts, cgroups, seccomp.
#include "codeexec/sandbox_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "codeexec/registry.h"
#include "command.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SandboxExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (testing::InCi()) FAIL() << "the sandbox tests need root, and CI runs as root";
      GTEST_SKIP() << "the sandbox needs root (cgroups, id maps)";
    }
  }

  SandboxExecutor Make(SandboxExecutorOptions options = {}) {
    options.work_dir = work_.path();
    // A test that set its own timeout keeps it; the others get 20 s instead of a minute.
    if (options.timeout == std::chrono::seconds(60)) {
      options.timeout = std::chrono::seconds(20);
    }
    auto executor = SandboxExecutor::Create(std::move(options));
    EXPECT_TRUE(executor) << executor.error().ToString();
    return std::move(*executor);
  }

  CodeResult Run(SandboxExecutor& executor, std::vector<CodeBlock> blocks) {
    auto result = executor.ExecuteCodeBlocks(blocks);
    EXPECT_TRUE(result) << result.error().ToString();
    return result ? *result : CodeResult{};
  }

  testing::TempDir work_{"sandbox-test"};
};

TEST_F(SandboxExecutorTest, CodeSeesItsOwnSmallWorld) {
  auto executor = Make();
  auto result = Run(executor, {{"python",
                                "import os, socket\n"
                                "print(os.getuid(), os.getpid(), socket.gethostname())\n"
                                "print(sorted(os.listdir('/')))\n"
                                "print(os.path.exists('/etc/shadow'), os.path.exists('/root'))\n"
                                "print(sorted(p for p in os.listdir('/proc') if p.isdigit()))"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.stdout_text,
            "0 2 codeexec\n['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'proc', 'sbin', 'tmp', "
            "'usr']\nFalse False\n['1', '2']\n");
}

TEST_F(SandboxExecutorTest, WorkFolderIsWritableAndEverythingElseReadOnly) {
  auto executor = Make();
  auto result = Run(executor, {{"sh",
                                "echo data > out.txt && echo wrote\n"
                                "touch /usr/x 2>/dev/null || echo usr read-only\n"
                                "touch /etc/x 2>/dev/null || echo etc read-only\n"
                                "touch /x 2>/dev/null || echo root read-only\n"
                                "echo t > /tmp/t && echo tmp writable"}});
  EXPECT_EQ(result.stdout_text,
            "wrote\nusr read-only\netc read-only\nroot read-only\ntmp writable\n");
  std::ifstream out(work_.path() / "out.txt");
  std::string data;
  out >> data;
  EXPECT_EQ(data, "data");
}

// What the caller ignores or blocks is not passed on: code starts with every standard signal at
// its default and none blocked, as with the local executor.
TEST_F(SandboxExecutorTest, CodeStartsWithDefaultSignalsEvenWhenTheCallerIgnoresThem) {
  auto executor = Make();
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  std::vector<std::pair<int, struct sigaction>> previous;
  for (int number : {SIGHUP, SIGINT, SIGPIPE, SIGUSR1, SIGTERM}) {
    previous.emplace_back(number, (struct sigaction){});
    sigaction(number, &ignore, &previous.back().second);
  }
  sigset_t blocked, old_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &blocked, &old_mask);
  auto result = Run(executor, {{"sh", "grep -E '^Sig(Ign|Blk)' /proc/self/status"}});
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  for (auto& [number, action] : previous) sigaction(number, &action, nullptr);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::istringstream lines(result.stdout_text);
  int seen = 0;
  for (std::string line; std::getline(lines, line); ++seen) {
    auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    EXPECT_EQ(std::stoull(line.substr(tab + 1), nullptr, 16) & 0x7fffffffu, 0u) << line;
  }
  EXPECT_EQ(seen, 2) << result.stdout_text;
}

TEST_F(SandboxExecutorTest, NoNetworkButItsOwnLoopback) {
  auto executor = Make();
  auto result = Run(executor, {{"python",
                                "import socket\n"
                                "try:\n"
                                "    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
                                "except OSError as e:\n"
                                "    print('egress blocked')\n"
                                "server = socket.socket(); server.bind(('127.0.0.1', 0)); "
                                "server.listen()\n"
                                "client = socket.create_connection(server.getsockname())\n"
                                "conn, _ = server.accept(); client.sendall(b'ping')\n"
                                "print(conn.recv(4).decode())"}});
  EXPECT_EQ(result.stdout_text, "egress blocked\nping\n") << result.output;
}

TEST_F(SandboxExecutorTest, MemoryLimitIsEnforcedAndReported) {
  SandboxExecutorOptions options;
  options.limits.memory_bytes = 128 << 20;
  auto executor = Make(options);
  auto result = Run(executor, {{"python", "x = bytearray(1 << 30)\nprint('survived')"}});
  EXPECT_EQ(result.status, ExecutionStatus::kMemoryLimit) << result.output;
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("Memory limit exceeded"));
  EXPECT_GT(result.peak_memory_bytes, 64u << 20);
  EXPECT_EQ(Run(executor, {{"sh", "echo still works"}}).output, "still works\n");
}

// cpu_time: SIGXCPU when a process has used it, and the result says why the program died; a
// program that ignores SIGXCPU is killed a second later. Both long before the timeout.
TEST_F(SandboxExecutorTest, CpuTimeLimitStopsBusyCodeAndSaysSo) {
  SandboxExecutorOptions options;
  options.limits.cpu_time = std::chrono::seconds(1);
  options.timeout = std::chrono::seconds(15);
  auto executor = Make(options);
  auto start = std::chrono::steady_clock::now();
  auto result = Run(executor, {{"python", "print('busy', flush=True)\nwhile True: pass"}});
  EXPECT_EQ(result.exit_code, 128 + SIGXCPU) << result.output;
  EXPECT_EQ(result.status, ExecutionStatus::kError);
  EXPECT_EQ(result.output,
            "busy\n\nCPU time limit exceeded: a process used its 1 s of CPU time (cpu_time)");

  auto ignoring = Run(executor, {{"python",
                                  "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
                                  "while True: pass"}});
  EXPECT_EQ(ignoring.exit_code, 128 + SIGKILL) << ignoring.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(Run(executor, {{"sh", "echo still works"}}).output, "still works\n");
}

TEST_F(SandboxExecutorTest, ForkBombHitsTheProcessLimitAndLeavesNothing) {
  SandboxExecutorOptions options;
  options.limits.max_processes = 64;
  options.timeout = std::chrono::seconds(5);
  auto executor = Make(options);
  auto result = executor.ExecuteCodeBlocks(
      {{"python",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        print('fork failed', flush=True)\n        os._exit(3)"}});
  ASSERT_TRUE(result);
  EXPECT_THAT(result->output, HasSubstr("fork failed"));
  EXPECT_EQ(result->status, ExecutionStatus::kProcessLimit) << result->output;
  EXPECT_EQ(Run(executor, {{"sh", "echo alive"}}).output, "alive\n");
}

TEST_F(SandboxExecutorTest, TimeoutKillsEvenProcessesThatLeftTheSession) {
  SandboxExecutorOptions options;
  options.timeout = std::chrono::seconds(1);
  auto executor = Make(options);
  auto result =
      Run(executor, {{"bash", "setsid sleep 100 & (sleep 101 &) ; echo started; sleep 30"}});
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_EQ(result.output, "started\n\nTimeout");
  auto pgrep = testing::RunCommand({"/usr/bin/pgrep", "-f", "sleep 10[01]"});
  EXPECT_EQ(pgrep.stdout_text, "");
}

// Whether this host's kernel runs 32-bit system calls at all: some disable the ABI, and
// `int $0x80` then faults (SIGSEGV) before any filter sees it.
bool HostRuns32BitSystemCalls(const fs::path& dir) {
  std::ofstream(dir / "abi.c") << "int main(void) { __asm__ volatile(\"int $0x80\" : : \"a\"(20)); "
                                  "return 0; }";
  auto built =
      testing::RunCommand({"/usr/bin/gcc", "-o", (dir / "abi").string(), (dir / "abi.c").string()});
  return built.exit_code == 0 && testing::RunCommand({(dir / "abi").string()}).exit_code == 0;
}

TEST_F(SandboxExecutorTest, ThirtyTwoBitSystemCallIsAPolicyViolation) {
  testing::TempDir probe("abi");
  bool host_runs_them = HostRuns32BitSystemCalls(probe.path());
  auto executor = Make();
  auto result = Run(executor, {{"c",
                                "int main(void) {\n"
                                "  __asm__ volatile(\"int $0x80\" : : \"a\"(20));\n"
                                "  return 0;\n}"}});
  if (host_runs_them) {
    EXPECT_EQ(result.status, ExecutionStatus::kPolicyViolation) << result.output;
    EXPECT_EQ(result.exit_code, 128 + 31);
  } else {
    EXPECT_EQ(result.exit_code, 128 + 11) << "the kernel refuses the ABI: the program faults";
  }
}

TEST_F(SandboxExecutorTest, HostSecretsStayOutside) {
  setenv("CODEEXEC_TEST_SECRET", "hunter2", 1);
  auto executor = Make();
  auto result = Run(executor, {{"sh",
                                "env | grep -c hunter2\n"
                                "cat /proc/1/environ 2>/dev/null | grep -c hunter2\n"
                                "tr '\\0' ' ' < /proc/1/cmdline | grep -c integration_test"}});
  EXPECT_EQ(result.stdout_text, "0\n0\n0\n") << result.output;
}

TEST_F(SandboxExecutorTest, DangerousSystemCallsAreRefused) {
  auto executor = Make();
  auto result = Run(executor, {{"sh",
                                "unshare -U true 2>/dev/null || echo no unshare\n"
                                "mkdir -p m && (mount -t tmpfs x m 2>/dev/null || echo no mount)\n"
                                "ls /dev | tr '\\n' ' '"}});
  EXPECT_EQ(result.stdout_text,
            "no unshare\nno mount\nfd full null ptmx pts random shm stderr stdin stdout urandom "
            "zero ");
}

TEST_F(SandboxExecutorTest, TerminalsComeFromAPrivateInstance) {
  // IPython's `!cmd` and pexpect need a terminal; the run's devpts instance holds only its own.
  auto executor = Make();
  auto result = Run(executor, {{"python",
                                "import os\n"
                                "before = sorted(os.listdir('/dev/pts'))\n"
                                "main, sub = os.openpty()\n"
                                "print(before, os.ttyname(sub), sorted(os.listdir('/dev/pts')))"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.stdout_text, "['ptmx'] /dev/pts/0 ['0', 'ptmx']\n");
}

// Extra read-only paths, outside /tmp and under it (where each run mounts its own /tmp over the
// view's), folders and single files: the code reads them in every run and changes nothing, with
// the work folder's upper layer and without.
TEST_F(SandboxExecutorTest, ReadOnlyPathsAreSeenInEveryRunAndStayUnchanged) {
  testing::TempDir under_tmp{"sandbox-ro"};
  fs::create_directories(under_tmp.path() / "data" / "deeper");
  std::ofstream(under_tmp.path() / "data" / "deeper" / "notes.txt") << "folder under /tmp\n";
  std::ofstream(under_tmp.path() / "single.txt") << "file under /tmp\n";
  char outside_template[] = "/var/tmp/codeexec-sandbox-ro-XXXXXX";
  ASSERT_NE(mkdtemp(outside_template), nullptr);
  fs::path outside = outside_template;
  // mkdtemp's mode would keep the sandbox's unprivileged root out: host permissions still apply.
  fs::permissions(outside, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  std::ofstream(outside / "outside.txt") << "folder outside /tmp\n";
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{outside};

  std::string data = (under_tmp.path() / "data").string();
  std::string single = (under_tmp.path() / "single.txt").string();
  std::string read =
      "cat " + data + "/deeper/notes.txt " + single + " " + outside.string() + "/outside.txt\n";
  std::string write = "for p in " + data + "/deeper/notes.txt " + data + "/new " + single + " " +
                      outside.string() + "/outside.txt " + outside.string() +
                      "/new; do (echo changed > $p) 2>/dev/null && echo wrote $p || echo "
                      "read-only; done\n";
  for (bool upper_layer : {true, false}) {
    SCOPED_TRACE(upper_layer ? "with the upper layer" : "work folder bound as it is");
    SandboxExecutorOptions options;
    if (!upper_layer) options.limits.work_dir_bytes = options.limits.work_dir_files = 0;
    options.read_only_paths = {under_tmp.path() / "data", single, outside.string() + "/"};
    auto executor = Make(options);
    auto result =
        Run(executor, {{"sh", read}, {"sh", write + read + "echo t > /tmp/t && ls /tmp/t"}});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.stdout_text,
              "folder under /tmp\nfile under /tmp\nfolder outside /tmp\n"
              "read-only\nread-only\nread-only\nread-only\nread-only\n"
              "folder under /tmp\nfile under /tmp\nfolder outside /tmp\n/tmp/t\n");
  }
  EXPECT_EQ(testing::ReadWholeFile(under_tmp.path() / "data" / "deeper" / "notes.txt"),
            "folder under /tmp\n");
  EXPECT_EQ(testing::ReadWholeFile(single), "file under /tmp\n");
  EXPECT_EQ(testing::ReadWholeFile(outside / "outside.txt"), "folder outside /tmp\n");
  EXPECT_FALSE(fs::exists(under_tmp.path() / "data" / "new"));
  EXPECT_FALSE(fs::exists(outside / "new"));
}

// A read-only folder may hold the work folder: the code reads the rest of it and writes only
// the work folder, with the upper layer and without.
TEST_F(SandboxExecutorTest, AReadOnlyFolderMayHoldTheWorkFolder) {
  testing::TempDir project{"sandbox-ro-project"};
  fs::permissions(project.path(),
                  fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                      fs::perms::others_exec,
                  fs::perm_options::add);
  std::ofstream(project.path() / "readme.txt") << "project\n";
  fs::create_directory(project.path() / "work");
  for (bool upper_layer : {true, false}) {
    SCOPED_TRACE(upper_layer ? "with the upper layer" : "work folder bound as it is");
    SandboxExecutorOptions options;
    if (!upper_layer) options.limits.work_dir_bytes = options.limits.work_dir_files = 0;
    options.work_dir = project.path() / "work";
    options.read_only_paths = {project.path()};
    options.timeout = std::chrono::seconds(20);
    auto executor = SandboxExecutor::Create(options);
    ASSERT_TRUE(executor) << executor.error().ToString();
    auto result =
        executor->ExecuteCodeBlocks({{"sh",
                                      "cat ../readme.txt && echo data > out.txt && cat out.txt\n"
                                      "(echo x > ../new) 2>/dev/null || echo parent read-only"}});
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(result->stdout_text, "project\ndata\nparent read-only\n") << result->output;
    EXPECT_EQ(testing::ReadWholeFile(project.path() / "work" / "out.txt"), "data\n");
    EXPECT_FALSE(fs::exists(project.path() / "new"));
    fs::remove(project.path() / "work" / "out.txt");
  }
}

// A read-only path the code could never see, or could write anyway, is an error that says so.
TEST_F(SandboxExecutorTest, ReadOnlyPathsTheCodeCouldNotSeeAreRefused) {
  fs::create_directory(work_.path() / "inputs");
  std::vector<std::pair<fs::path, std::string>> cases = {
      {work_.path() / "inputs", "is in the work folder"},
      {work_.path(), "is in the work folder"},
      {"/tmp", "each run has its own / and /tmp"},
      {"/", "each run has its own / and /tmp"},
      {"/proc/sys", "is under /proc, which each run mounts for itself"},
      {"/dev/shm", "is under /dev/shm"},
      {"/usr/../etc", "has . or .. in it"},
      {"usr", "is not an existing absolute path"},
      {"/no/such/folder", "is not an existing absolute path"},
  };
  for (const auto& [path, why] : cases) {
    SandboxExecutorOptions options;
    options.work_dir = work_.path();
    options.read_only_paths = {path};
    auto executor = SandboxExecutor::Create(options);
    ASSERT_FALSE(executor) << path;
    EXPECT_THAT(executor.error().message(), HasSubstr("read_only_paths: " + path.string()));
    EXPECT_THAT(executor.error().message(), HasSubstr(why)) << path;
  }
}

TEST_F(SandboxExecutorTest, RunsTheSeedExample) {
  auto executor = Make();
  std::ifstream message(CODEEXEC_SOURCE_DIR "/examples/scatter.md");
  std::string text((std::istreambuf_iterator<char>(message)), {});
  auto blocks = executor.code_extractor().ExtractCodeBlocks(text);
  auto result = Run(executor, blocks);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "Scatter plot saved to scatter.png\n");
  EXPECT_TRUE(fs::exists(work_.path() / "scatter.png"));
}

TEST_F(SandboxExecutorTest, RegistryBuildsItFromJson) {
  std::string config = R"({"work_dir": ")" + work_.path().string() +
                       R"(", "memory_limit": 268435456, "max_processes": 32, "network": false})";
  auto executor = DefaultExecutorRegistry().Create("sandbox", config);
  ASSERT_TRUE(executor) << executor.error().ToString();
  auto result = (*executor)->ExecuteCodeBlocks({{"sh", "echo from json"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "from json\n");
  auto bad = DefaultExecutorRegistry().Create("sandbox", R"({"memory_limit": "lots"})");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("option 'memory_limit'"));
}

}  // namespace
}  // namespace codeexec
