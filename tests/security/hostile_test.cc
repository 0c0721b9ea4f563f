// Hostile code against the sandbox executor: each case asserts its safe outcome; after every case
// the host is unchanged, the executor still works, and no process or cgroup is left.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "codeexec/sandbox_executor.h"
#include "command.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct HostileCase {
  std::string name;
  std::string language;
  std::string code;
  std::function<void(const CodeResult&)> expect;
};

// Test names and failure messages show a case by its name.
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

// Every case's processes carry this marker in their command lines or files, so a leftover is
// easy to find from the host.
constexpr char kMarker[] = "codeexec-hostile-marker";

std::vector<HostileCase> Cases() {
  auto output_has = [](std::string text) {
    return [text](const CodeResult& r) { EXPECT_THAT(r.output, HasSubstr(text)); };
  };
  auto status_is = [](ExecutionStatus status) {
    return [status](const CodeResult& r) { EXPECT_EQ(r.status, status) << r.output; };
  };
  auto python_errno = [](std::string call) {
    return "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = " + call +
           "\nprint(rc, os.strerror(ctypes.get_errno()))";
  };
  return {
      {"ForkBomb", "bash", ":(){ :|:& };:",
       [](const CodeResult& r) {
         EXPECT_THAT(r.status, AnyOf(ExecutionStatus::kTimeout, ExecutionStatus::kProcessLimit,
                                     ExecutionStatus::kOk, ExecutionStatus::kError));
       }},
      {"ThreadBomb", "python",
       "import threading, time\nthreads = []\ntry:\n    while True:\n"
       "        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)\n"
       "        t.start(); threads.append(t)\nexcept RuntimeError as e:\n"
       "    print('stopped at', len(threads) < 1000)\n    raise SystemExit(3)",
       [](const CodeResult& r) {
         EXPECT_THAT(r.output, HasSubstr("stopped at True"));
         EXPECT_EQ(r.status, ExecutionStatus::kProcessLimit);
       }},
      {"MemoryBomb", "python", "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 24))",
       status_is(ExecutionStatus::kMemoryLimit)},
      {"CpuSpin", "python", "while True:\n    pass", status_is(ExecutionStatus::kTimeout)},
      {"SleepForever", "sh", "sleep 100000", status_is(ExecutionStatus::kTimeout)},
      {"OutputFlood", "sh", "yes flood",
       [](const CodeResult& r) {
         EXPECT_TRUE(r.truncated);
         EXPECT_LT(r.output.size(), 70000u);
       }},
      {"FileBeyondTheSizeLimit", "sh",
       "head -c 20000000 /dev/zero > big.bin; echo rc=$?; ls -l big.bin | awk '{print $5}'",
       [](const CodeResult& r) {
         EXPECT_THAT(r.output, HasSubstr("rc=153\n"));  // 128 + SIGXFSZ
         EXPECT_THAT(r.stdout_text, HasSubstr("\n16777216\n"));
       }},
      {"FillTmp", "sh",
       "for i in 1 2 3 4 5 6; do head -c 10000000 /dev/zero > /tmp/fill$i || break; done",
       output_has("No space left on device")},
      {"MillionsOfFiles", "python",
       "import os\ncount = 0\ntry:\n    for i in range(1000000):\n"
       "        open(f'/tmp/f{i}', 'w').close(); count += 1\nexcept OSError as e:\n"
       "    print('stopped', e.strerror)",
       output_has("stopped No space left on device")},
      {"DescriptorExhaustion", "python",
       "files = []\ntry:\n    while True:\n        files.append(open('/dev/null'))\n"
       "except OSError as e:\n    print(e.strerror, len(files) < 200)",
       output_has("Too many open files True")},
      {"ReadShadow", "sh", "cat /etc/shadow; cat /etc/gshadow; ls /root /home",
       [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("root:"))); }},
      {"OtherProcessesEnviron", "sh",
       "ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; cat /proc/1/environ; echo",
       [](const CodeResult& r) {
         EXPECT_THAT(r.stdout_text, HasSubstr("1 2 "));
         EXPECT_THAT(r.output, HasSubstr("Permission denied"));
       }},
      {"WriteOutsideWorkDir", "sh",
       "for f in /usr/x /etc/x /x /bin/x /proc/x; do touch $f 2>/dev/null && echo wrote $f; "
       "done; echo done",
       [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "done\n"); }},
      {"SymlinkToAHostFile", "sh", "ln -s /etc/shadow link && cat link; echo rc=$?",
       output_has("No such file or directory")},
      {"NetworkEgress", "python",
       "import socket\ntry:\n    socket.create_connection(('8.8.8.8', 53), timeout=2)\n"
       "except OSError as e:\n    print('blocked', e.errno)",
       output_has("blocked 101")},
      {"Ptrace", "python", python_errno("libc.ptrace(16, 1, 0, 0)"),
       output_has("-1 Operation not permitted")},
      {"NestedNamespaces", "python", python_errno("libc.unshare(0x10000000)"),
       output_has("-1 Operation not permitted")},
      {"Mount", "python", python_errno("libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)"),
       output_has("-1 Operation not permitted")},
      {"SetuidBinariesGrantNothing", "sh",
       "grep -E '^(NoNewPrivs|CapEff|CapBnd)' /proc/self/status | tr '\\t' ' '",
       [](const CodeResult& r) {
         EXPECT_THAT(r.output, HasSubstr("NoNewPrivs: 1\n"));
         EXPECT_THAT(r.output, HasSubstr("CapEff: 0000000000000000\n"));
         EXPECT_THAT(r.output, HasSubstr("CapBnd: 0000000000000000\n"));
       }},
      {"Tiocsti", "python", python_errno("libc.ioctl(1, 0x5412, ctypes.c_char_p(b'x'))"),
       output_has("-1 Operation not permitted")},
      {"Keyctl", "python", python_errno("libc.syscall(250, 0, 0, 0, 0)"),
       output_has("-1 Operation not permitted")},
      {"Bpf", "python", python_errno("libc.syscall(321, 0, 0, 0)"),
       output_has("-1 Operation not permitted")},
      {"PerfEvents", "python", python_errno("libc.syscall(298, 0, 0, -1, -1, 0)"),
       output_has("-1 Operation not permitted")},
      {"IoUring", "python", python_errno("libc.syscall(425, 8, 0)"),
       output_has("-1 Operation not permitted")},
      {"KernelModules", "python", python_errno("libc.syscall(313, -1, b'', 0)"),
       output_has("-1 Operation not permitted")},
      {"Reboot", "python", python_errno("libc.reboot(0x1234567)"),
       output_has("-1 Operation not permitted")},
      {"OverwriteProcSelfExe", "sh", "cp /bin/true /proc/self/exe 2>&1; echo rc=$?",
       [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("rc=0"))); }},
      {"InheritedDescriptors", "sh", "exec ls /proc/self/fd | tr '\\n' ' '",
       [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "0 1 2 3 "); }},
      {"EnvironmentSecrets", "sh", "env | sort | cut -d= -f1 | tr '\\n' ' '",
       [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "HOME LANG PATH PWD TMPDIR "); }},
      {"DaemonisedGrandchild", "python",
       std::string("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                   "        os.execvp('sleep', ['sleep', '1000', '") +
           kMarker + "'])\n    os._exit(0)\nprint('parent done')",
       output_has("parent done")},
      {"KillTheSupervisor", "sh", "kill -9 1; kill -9 0 2>/dev/null; echo still here",
       [](const CodeResult&) {}},
      {"HugeArguments", "python",
       "import os\ntry:\n    os.execv('/bin/true', ['true'] + ['x' * 100000] * 100)\n"
       "except OSError as e:\n    print(e.strerror)",
       output_has("Argument list too long")},
      {"ThirtyTwoBitSyscall", "c",
       "int main(void) { __asm__ volatile(\"int $0x80\" : : \"a\"(20)); return 0; }",
       status_is(ExecutionStatus::kPolicyViolation)},
      {"ChangeHostname", "sh", "hostname evil 2>&1; hostname", output_has("codeexec")},
      {"NoSys", "sh", "ls /sys 2>&1 | head -1", output_has("No such file or directory")},
  };
}

class HostileTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    SandboxExecutorOptions options;
    options.command_line.work_dir = work_->path();
    options.command_line.timeout = std::chrono::seconds(3);
    options.command_line.output_limit = 64 << 10;
    options.limits.memory_bytes = 256 << 20;
    options.limits.max_processes = 128;
    options.limits.file_size_bytes = 16 << 20;
    options.limits.open_files = 64;
    options.limits.tmp_bytes = 32 << 20;
    auto executor = SandboxExecutor::Create(std::move(options));
    ASSERT_TRUE(executor) << executor.error().ToString();
    executor_ = new SandboxExecutor(std::move(*executor));
  }
  static void TearDownTestSuite() {
    delete executor_;
    executor_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) {
      if (testing::InCi()) FAIL() << "the hostile suite needs root, and CI runs as root";
      GTEST_SKIP() << "the sandbox needs root";
    }
    ASSERT_NE(executor_, nullptr);
  }

  static SandboxExecutor* executor_;
  static testing::TempDir* work_;
};

SandboxExecutor* HostileTest::executor_ = nullptr;
testing::TempDir* HostileTest::work_ = new testing::TempDir("hostile");

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

std::string HostFingerprint() {
  std::ifstream hostname("/proc/sys/kernel/hostname");
  std::string name;
  hostname >> name;
  return name + "|" + std::to_string(fs::exists("/x")) + std::to_string(fs::exists("/usr/x"));
}

TEST_P(HostileTest, IsContained) {
  const HostileCase& c = GetParam();
  std::string before = HostFingerprint();
  auto result = executor_->ExecuteCodeBlocks({{c.language, c.code}});
  ASSERT_TRUE(result) << result.error().ToString();
  c.expect(*result);

  EXPECT_EQ(HostFingerprint(), before) << "the host changed";
  auto leftovers = testing::RunCommand({"/usr/bin/pgrep", "-f", kMarker});
  EXPECT_EQ(leftovers.stdout_text, "") << "a process outlived the run";
  auto again = executor_->ExecuteCodeBlocks({{"sh", "echo alive"}});
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->output, "alive\n") << "the executor no longer works";
  EXPECT_THAT(ProcessesInCodeexecCgroups(), ::testing::IsEmpty()) << "a process outlived the run";
}

INSTANTIATE_TEST_SUITE_P(Sandbox, HostileTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& c) {
                           return c.param.name;
                         });

// A server inside the sandbox is not reachable from the host.
// A fresh sandbox executor for the tests below, or a skip (a failure in CI) without root.
std::optional<SandboxExecutor> MakeSandbox(const testing::TempDir& work) {
  if (geteuid() != 0) return std::nullopt;
  SandboxExecutorOptions options;
  options.command_line.work_dir = work.path();
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
