// A Jupyter kernel in the native sandbox (isolation "sandbox"), against the real ipykernel: what
// the isolation promises. The behaviour it shares with a host kernel (state, timeouts, restart,
// nothing left after Stop) is in jupyter_executor_test.cc's Sandbox mode.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "codeexec/jupyter_executor.h"
#include "command.h"
#include "process/child_process.h"
#include "process/unique_fd.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::Eventually;

class JupyterSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bool runnable = fs::exists("/usr/share/jupyter/kernels/python3/kernel.json") && geteuid() == 0;
    if (!runnable && !testing::InCi()) {
      GTEST_SKIP() << "needs root and python3-ipykernel";
    }
    JupyterExecutorOptions options;
    options.work_dir = work_;
    options.isolation = JupyterIsolation::kSandbox;
    options.timeout = std::chrono::seconds(20);
    auto executor = JupyterCodeExecutor::Create(options);
    ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
    executor_.emplace(std::move(*executor));
  }

  CodeResult Python(const std::string& code) {
    auto result = executor_->ExecuteCodeBlocks({{"python", code}});
    if (!result) throw std::runtime_error(result.error().ToString());
    return *result;
  }

  testing::TempDir temp_{"jupyter-sandbox"};
  fs::path work_ = temp_.path() / "work";
  std::optional<JupyterCodeExecutor> executor_;
};

TEST_F(JupyterSandboxTest, TheKernelCannotReachTheHostsNetwork) {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(listen(listener.get(), 4), 0);
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &size);
  int port = ntohs(address.sin_port);

  CodeResult result =
      Python(fmt::format("import socket\n"
                         "try:\n"
                         "    socket.create_connection(('127.0.0.1', {}), timeout=3)\n"
                         "    print('connected')\n"
                         "except OSError as e:\n"
                         "    print('refused', type(e).__name__)\n"
                         "print(sorted(n for _, n in socket.if_nameindex()))",
                         port));
  EXPECT_THAT(result.output, HasSubstr("refused ConnectionRefusedError"));
  EXPECT_THAT(result.output, HasSubstr("['lo']"));  // an empty network namespace
  EXPECT_LT(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), 0);  // nobody came
}

TEST_F(JupyterSandboxTest, TheKernelWritesOnlyInItsWorkFolder) {
  fs::path outside = temp_.path() / "outside.txt";
  std::ofstream(temp_.path() / "secret.txt") << "host secret";
  CodeResult result = Python(
      fmt::format("import os\n"
                  "for path in ['/usr/codeexec-probe', '/etc/codeexec-probe', '/codeexec-probe']:\n"
                  "    try:\n"
                  "        open(path, 'w').write('x')\n"
                  "        print('wrote', path)\n"
                  "    except OSError as e:\n"
                  "        print('refused', e.errno)\n"
                  "try:\n"
                  "    open('{}', 'w').write('x')\n"  // its own private /tmp at most
                  "except OSError:\n"
                  "    pass\n"
                  "print(os.path.exists('{}'))\n"
                  "open('inside.txt', 'w').write('kept')\n",
                  outside.string(), (temp_.path() / "secret.txt").string()));
  EXPECT_THAT(result.output, Not(HasSubstr("wrote")));
  EXPECT_THAT(result.output, HasSubstr("refused"));
  EXPECT_THAT(result.output, HasSubstr("False\n"));  // the host's files outside are not there
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists("/usr/codeexec-probe"));
  EXPECT_FALSE(fs::exists("/codeexec-probe"));
  // What it writes in the work folder is on the host at once, while the kernel runs.
  EXPECT_EQ(testing::ReadWholeFile(work_ / "inside.txt"), "kept");
}

TEST_F(JupyterSandboxTest, TheKernelSeesNoneOfTheCallersEnvironment) {
  setenv("CODEEXEC_TEST_SECRET", "s3cret", 1);
  CodeResult result = Python(
      "import os\nprint(os.environ.get('CODEEXEC_TEST_SECRET'), os.environ['HOME'], os.getuid())");
  unsetenv("CODEEXEC_TEST_SECRET");
  EXPECT_EQ(result.output, "None /tmp 0\n");  // root only inside its user namespace
}

TEST_F(JupyterSandboxTest, AStubbornCellIsEndedWithItsKernelAndStateStartsAfresh) {
  ASSERT_TRUE(Python("x = 1").exit_code == 0);
  // Ignores the interrupt: after interrupt_grace the kernel is replaced, its processes killed.
  JupyterExecutorOptions options;
  options.work_dir = work_;
  options.isolation = JupyterIsolation::kSandbox;
  options.timeout = std::chrono::seconds(1);
  options.interrupt_grace = std::chrono::milliseconds(500);
  executor_.reset();
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  fs::path connection = executor->connection_file();
  auto result = executor->ExecuteCodeBlocks(
      {{"python",
        "import signal, subprocess, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "subprocess.Popen(['sleep', '3003'])\nwhile True: time.sleep(1)"}});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, ExecutionStatus::kTimeout);
  EXPECT_TRUE(
      Eventually([&] { return testing::ProcessesMentioning(connection.string()).empty(); }));
  EXPECT_TRUE(Eventually(
      [&] { return testing::ProcessesMentioning(std::string("sleep\0003003", 10)).empty(); }));
  auto after = executor->ExecuteCodeBlocks({{"python", "print(1 + 1)"}});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->output, "2\n");
}

// The sandbox's PID 1 dies with the process that cloned it: a kill -9 of codeexec leaves no
// kernel behind (checked with the CLI, killed while a cell runs).
TEST_F(JupyterSandboxTest, AKill9OfTheParentLeavesNoKernel) {
  executor_.reset();
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nimport time\ntime.sleep(60)\n```\n";
  fs::path work = temp_.path() / "cli-work";
  std::vector<std::string> argv = {CODEEXEC_CLI, "run",         "--executor",
                                   "jupyter",    "--config",    R"({"sandbox": true})",
                                   "--work-dir", work.string(), message.string()};
  Environment env = Environment::FromOptions({});
  SpawnSpec spec{argv.front(), argv, env.envp(), ""};
  auto cli = Spawn(spec);
  ASSERT_TRUE(cli.has_value()) << cli.error().ToString();
  // The kernel is up once a process holds a connection file in the work folder.
  ASSERT_TRUE(Eventually([&] { return !testing::ProcessesMentioning(work.string()).empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // into the cell
  ASSERT_EQ(kill(cli->pid(), SIGKILL), 0);
  ASSERT_TRUE(cli->Reap().has_value());
  EXPECT_TRUE(Eventually([&] { return testing::ProcessesMentioning(work.string()).empty(); },
                         std::chrono::seconds(3)))
      << "left: " << testing::ProcessesMentioning(work.string()).size() << " processes";
}

}  // namespace
}  // namespace codeexec
