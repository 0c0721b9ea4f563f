// A Jupyter kernel in a Docker container (isolation "docker"), against the test image's real
// ipykernel and a real daemon: what the isolation promises. The behaviour it shares with a host
// kernel (state, timeouts, restart, images, nothing left after Stop) is in
// jupyter_executor_test.cc's Docker mode.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "codeexec/jupyter_executor.h"
#include "command.h"
#include "docker_test_util.h"
#include "process/child_process.h"
#include "process/unique_fd.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::Eventually;

// The Docker fixture (a daemon, the test image, no container left after each test), with a
// kernel executor in it.
class JupyterDockerTest : public testing::DockerTest {
 protected:
  JupyterExecutorOptions KernelOptions() {
    JupyterExecutorOptions options;
    options.work_dir = work_;
    options.isolation = JupyterIsolation::kDocker;
    options.docker.image = testing::DockerTestImage();
    options.docker.labels[kTestLabel] = test_id_;
    options.timeout = std::chrono::seconds(20);
    return options;
  }

  JupyterCodeExecutor Start(JupyterExecutorOptions options) {
    auto executor = JupyterCodeExecutor::Create(std::move(options));
    if (!executor) throw std::runtime_error(executor.error().ToString());
    return std::move(*executor);
  }

  static CodeResult Python(JupyterCodeExecutor& executor, const std::string& code) {
    auto result = executor.ExecuteCodeBlocks({{"python", code}});
    if (!result) throw std::runtime_error(result.error().ToString());
    return *result;
  }

  fs::path work_ = temp_.path() / "work";
};

TEST_F(JupyterDockerTest, TheKernelHasNoNetworkByDefault) {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t size = sizeof(address);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(listen(listener.get(), 4), 0);
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &size);
  int port = ntohs(address.sin_port);

  auto executor = Start(KernelOptions());
  // The bridge's gateway would be the host, were there a bridge.
  CodeResult result = Python(executor, fmt::format("import socket\n"
                                                   "for host in ['127.0.0.1', '172.17.0.1']:\n"
                                                   "    try:\n"
                                                   "        socket.create_connection((host, {}), "
                                                   "timeout=3)\n"
                                                   "        print('connected', host)\n"
                                                   "    except OSError as e:\n"
                                                   "        print('refused', host)\n"
                                                   "print(sorted(n for _, n in "
                                                   "socket.if_nameindex()))",
                                                   port));
  EXPECT_THAT(result.output, Not(HasSubstr("connected")));
  EXPECT_THAT(result.output, HasSubstr("['lo']"));
  EXPECT_LT(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), 0);  // nobody came
}

TEST_F(JupyterDockerTest, TheKernelSeesOnlyItsWorkFolderOfThisHost) {
  std::ofstream(temp_.path() / "secret.txt") << "host secret";
  auto executor = Start(KernelOptions());
  CodeResult result =
      Python(executor, fmt::format("import os\n"
                                   "print(os.getcwd())\n"
                                   "print(os.path.exists('{}'))\n"
                                   "print(open('/etc/os-release').readline().strip())\n"
                                   "open('inside.txt', 'w').write('kept')\n"
                                   "_ = open('/usr/codeexec-probe', 'w').write('x')\n",
                                   (temp_.path() / "secret.txt").string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // Its working folder is the mount; the host's other files are not there, the image's are.
  EXPECT_EQ(result.output, "/workspace\nFalse\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  EXPECT_FALSE(fs::exists("/usr/codeexec-probe"));  // the container's own /usr
  // What it writes in the work folder is on the host at once, while the kernel runs.
  EXPECT_EQ(testing::ReadFile(work_ / "inside.txt"), "kept");
}

TEST_F(JupyterDockerTest, TheKernelSeesNoneOfTheCallersEnvironment) {
  testing::ScopedEnv secret("CODEEXEC_TEST_SECRET", "s3cret");
  JupyterExecutorOptions options = KernelOptions();
  options.env.set["CHOSEN"] = "yes";
  auto executor = Start(options);
  CodeResult result = Python(executor,
                             "import os\nprint(os.environ.get('CODEEXEC_TEST_SECRET'), "
                             "os.environ['HOME'], os.environ['CHOSEN'])");
  EXPECT_EQ(result.output, "None /tmp yes\n");
}

TEST_F(JupyterDockerTest, AStubbornCellIsEndedWithItsKernelAndStateStartsAfresh) {
  JupyterExecutorOptions options = KernelOptions();
  options.timeout = std::chrono::seconds(1);
  options.interrupt_grace = std::chrono::milliseconds(500);
  auto executor = Start(options);
  ASSERT_EQ(Python(executor, "x = 1").exit_code, 0);
  auto result = executor.ExecuteCodeBlocks(
      {{"python",
        "import signal, subprocess, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "subprocess.Popen(['sleep', '3004'])\nwhile True: time.sleep(1)"}});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, ExecutionStatus::kTimeout);
  EXPECT_THAT(result->output, HasSubstr("was restarted: its state was lost"));
  // The runner killed the old kernel and what it started; the container is the same.
  EXPECT_TRUE(Eventually(
      [&] { return testing::ProcessesMentioning(std::string("sleep\0003004", 10)).empty(); }));
  EXPECT_THAT(Python(executor, "print('x' in dir())").output, "False\n");
  EXPECT_EQ(TestContainers().size(), 1u);
}

TEST_F(JupyterDockerTest, SpecialFilesAndSetuidBitsAreGoneWhenTheKernelEnds) {
  auto executor = Start(KernelOptions());
  CodeResult made = Python(executor,
                           "import os, shutil\n"
                           "os.mkfifo('fifo')\n"
                           "shutil.copy('/bin/true', 'suid')\n"
                           "os.chmod('suid', 0o4755)\n"
                           "print(oct(os.stat('suid').st_mode & 0o7777))");
  ASSERT_EQ(made.output, "0o4755\n");
  ASSERT_TRUE(executor.Restart().has_value());
  EXPECT_FALSE(fs::exists(work_ / "fifo"));
  struct stat info {};
  ASSERT_EQ(stat((work_ / "suid").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0755u);
}

TEST_F(JupyterDockerTest, AKernelOverItsMemoryLimitIsReportedDead) {
  JupyterExecutorOptions options = KernelOptions();
  options.docker.memory_limit = 256 << 20;
  auto executor = Start(options);
  CodeResult result = Python(executor, "x = bytearray(1 << 30)\nx[::4096] = b'1' * (1 << 18)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("The kernel died ("));
  ASSERT_TRUE(executor.Restart().has_value());
  EXPECT_EQ(Python(executor, "print(3)").output, "3\n");
}

TEST_F(JupyterDockerTest, ABadImageOrDaemonSaysWhatToDo) {
  JupyterExecutorOptions options = KernelOptions();
  options.docker.image = "codeexec/no-such-image:never";
  auto missing = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("codeexec docker build-image"));
  options = KernelOptions();
  options.docker.docker_host = "unix:///nonexistent/docker.sock";
  auto unreachable = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_THAT(unreachable.error().message(), HasSubstr("/nonexistent/docker.sock"));
  EXPECT_TRUE(fs::is_empty(work_));  // nothing left in the work folder either
}

// The container's runner sees end-of-file when codeexec dies: a kill -9 of the CLI while a cell
// runs leaves no container and no kernel.
TEST_F(JupyterDockerTest, AKill9OfTheParentLeavesNoContainer) {
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nimport time\ntime.sleep(60)\n```\n";
  nlohmann::json config = {
      {"docker", {{"image", testing::DockerTestImage()}, {"labels", {{kTestLabel, test_id_}}}}}};
  std::vector<std::string> argv = {CODEEXEC_CLI, "run",          "--executor",
                                   "jupyter",    "--config",     config.dump(),
                                   "--work-dir", work_.string(), message.string()};
  Environment env = Environment::FromOptions({});
  SpawnSpec spec{argv.front(), argv, env.envp(), ""};
  auto cli = Spawn(spec);
  ASSERT_TRUE(cli.has_value()) << cli.error().ToString();
  // The kernel is up once a process mentions its private folder in the work folder.
  auto kernel_running = [&] {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(work_, ec)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(".codeexec-kernel-") && !testing::ProcessesMentioning(name).empty()) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(Eventually(kernel_running, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // into the cell
  ASSERT_EQ(TestContainers().size(), 1u);
  ASSERT_EQ(kill(cli->pid(), SIGKILL), 0);
  ASSERT_TRUE(cli->Reap().has_value());
  EXPECT_TRUE(Eventually([&] { return TestContainers().empty(); }, std::chrono::seconds(15)))
      << TestContainers().size() << " containers left";
}

}  // namespace
}  // namespace codeexec
