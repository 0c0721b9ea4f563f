// Local kernels and the wire protocol against a real ipykernel: readiness, signatures,
// interrupt modes, interpreters, heartbeat, shutdown escalation.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "codeexec/jupyter_executor.h"
#include "command.h"
#include "jupyter/connection_file.h"
#include "jupyter/execute_cell.h"
#include "jupyter/kernel_channels.h"
#include "jupyter/local_kernel.h"
#include "jupyter/remote_kernel.h"
#include "jupyter/ws_framing.h"
#include "jupyter_server_util.h"

namespace codeexec::jupyter {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

class JupyterKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/jupyter/kernels/python3/kernel.json") && !testing::InCi()) {
      GTEST_SKIP() << "no python3 kernel here (apt-get install python3-ipykernel)";
    }
    auto spec = FindKernelSpec("python3", KernelSearchPath());
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    spec_ = *spec;
  }

  // A kernelspec of our own under a private JUPYTER_PATH.
  void InstallSpec(const std::string& name, const std::string& json) {
    fs::path dir = temp_.path() / "share/jupyter/kernels" / name;
    fs::create_directories(dir);
    std::ofstream(dir / "kernel.json") << json;
    setenv("JUPYTER_PATH", (temp_.path() / "share/jupyter").c_str(), 1);
  }
  void TearDown() override { unsetenv("JUPYTER_PATH"); }

  std::unique_ptr<LocalKernel> StartKernel(LocalKernelOptions options = {}) {
    auto kernel = LocalKernel::Start(spec_, options);
    if (!kernel) throw std::runtime_error(kernel.error().ToString());
    return std::move(*kernel);
  }

  // Runs `code` and waits for its idle status.
  static void Execute(LocalKernel& kernel, const std::string& code) {
    Message request = kernel.session().MakeRequest("execute_request", ExecuteRequestContent(code));
    ASSERT_TRUE(kernel.Send(Channel::kShell, request).has_value());
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      while (auto incoming = kernel.TryReceive()) {
        if (incoming->message.parent_id() == request.msg_id() &&
            incoming->message.msg_type() == "execute_reply") {
          return;
        }
      }
      kernel.Wait(std::chrono::milliseconds(100), {});
    }
    FAIL() << "no execute_reply";
  }

  KernelSpec spec_;
  testing::TempDir temp_{"kernel"};
};

TEST_F(JupyterKernelTest, StartsReadyWithItsKernelInfo) {
  auto kernel = StartKernel();
  EXPECT_EQ(kernel->kernel_info()["language_info"]["name"], "python");
  EXPECT_THAT(kernel->kernel_info()["protocol_version"].get<std::string>(), StartsWith("5."));
  EXPECT_FALSE(kernel->IsDead());
  EXPECT_TRUE(fs::exists(kernel->connection_file()));
  EXPECT_EQ(kernel->channels().dropped_messages(), 0u);
}

TEST_F(JupyterKernelTest, MessagesWithABadSignatureAreDroppedAndCounted) {
  auto kernel = StartKernel();
  auto info = ReadConnectionFile(kernel->connection_file());
  ASSERT_TRUE(info.has_value());
  info->key = "not-the-key";
  auto eavesdropper = KernelChannels::Connect(*info);
  ASSERT_TRUE(eavesdropper.has_value());
  // The channels connect and subscribe only while they are driven (Wait, TryReceive): no I/O
  // thread. Until the subscription is through, the kernel's messages pass the eavesdropper by,
  // so cells run until one of its messages has arrived and been dropped.
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
  while ((*eavesdropper)->dropped_messages() == 0 && Clock::now() < deadline) {
    Execute(*kernel, "print('signed with the real key')");
    Clock::time_point round = Clock::now() + std::chrono::milliseconds(500);
    while ((*eavesdropper)->dropped_messages() == 0 && Clock::now() < round) {
      EXPECT_FALSE((*eavesdropper)->TryReceive().has_value());
      (*eavesdropper)->Wait(std::chrono::milliseconds(50));
    }
  }
  EXPECT_GT((*eavesdropper)->dropped_messages(), 0u);
  EXPECT_FALSE((*eavesdropper)->TryReceive().has_value());
}

TEST_F(JupyterKernelTest, HeartbeatLossIsNoticedWhileTheProcessLives) {
  LocalKernelOptions options;
  options.heartbeat = {std::chrono::milliseconds(100), std::chrono::milliseconds(300), 2};
  auto kernel = StartKernel(options);
  ASSERT_EQ(kill(kernel->pid(), SIGSTOP), 0);
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
  while (!kernel->IsDead() && Clock::now() < deadline) {
    kernel->Wait(std::chrono::milliseconds(100), {});
  }
  EXPECT_TRUE(kernel->IsDead());
  EXPECT_THAT(kernel->DeathDescription(), HasSubstr("heartbeat"));
  kill(kernel->pid(), SIGCONT);
}

TEST_F(JupyterKernelTest, KernelIgnoringShutdownAndSigtermIsKilled) {
  LocalKernelOptions options;
  options.shutdown_grace = std::chrono::milliseconds(300);
  options.kill_grace = std::chrono::milliseconds(300);
  auto kernel = StartKernel(options);
  Execute(*kernel,
          "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
          "get_ipython().kernel.control_handlers['shutdown_request'] = lambda *a: None");
  pid_t pid = kernel->pid();
  fs::path connection = kernel->connection_file();
  kernel->Shutdown();
  EXPECT_TRUE(testing::ProcessIsDead(pid));
  EXPECT_FALSE(fs::exists(connection));
}

TEST_F(JupyterKernelTest, MessageInterruptModeInterruptsThroughControl) {
  InstallSpec("codeexec-message-interrupt",
              R"({"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f",
                           "{connection_file}"],
                  "language": "python", "interrupt_mode": "message"})");
  JupyterExecutorOptions options;
  options.kernel_name = "codeexec-message-interrupt";
  options.work_dir = temp_.path() / "work";
  options.timeout = std::chrono::seconds(1);
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  ASSERT_TRUE(executor->ExecuteCodeBlocks({{"python", "kept = 1"}}).has_value());
  auto result = executor->ExecuteCodeBlocks({{"python", "import time\ntime.sleep(30)"}});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, ExecutionStatus::kTimeout);
  EXPECT_EQ(result->output, "\nTimeout");
  auto after = executor->ExecuteCodeBlocks({{"python", "print(kept)"}});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->output, "1\n");
}

TEST_F(JupyterKernelTest, BarePythonInAKernelspecUsesTheConfiguredInterpreter) {
  InstallSpec("codeexec-bare-python",
              R"({"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                  "language": "python", "env": {"CODEEXEC_FROM_SPEC": "${HOME}"}})");
  JupyterExecutorOptions options;
  options.kernel_name = "codeexec-bare-python";
  options.work_dir = temp_.path() / "work";
  options.python = "/usr/bin/python3";
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  auto result = executor->ExecuteCodeBlocks(
      {{"python",
        "import sys, os\nprint(sys.executable)\nprint(os.environ['CODEEXEC_FROM_SPEC'])"}});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->output, fmt::format("/usr/bin/python3\n{}\n", getenv("HOME")));
}

TEST_F(JupyterKernelTest, InterpreterWithoutIpykernelFailsWithAHint) {
  // An interpreter that exists but cannot import ipykernel: python3 with an empty module path.
  fs::path wrapper = temp_.path() / "python3";
  std::ofstream(wrapper) << "#!/bin/sh\nexec /usr/bin/python3 -I -S \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  JupyterExecutorOptions options;
  options.work_dir = temp_.path() / "work";
  options.python = wrapper.string();
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(executor.error().message(), HasSubstr("No module named"));
  EXPECT_THAT(executor.error().message(), HasSubstr("python3-ipykernel"));
}

}  // namespace
}  // namespace codeexec::jupyter

namespace codeexec::jupyter {
namespace {

// The WebSocket transport, in both of its wire formats.
class JupyterRemoteKernelTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!fs::exists(testing::kJupyterServer) && !testing::InCi()) {
      GTEST_SKIP() << "no jupyter-server here (apt-get install jupyter-server)";
    }
    server_ = std::make_unique<testing::JupyterServerProcess>();
  }
  std::unique_ptr<testing::JupyterServerProcess> server_;
};

TEST_P(JupyterRemoteKernelTest, RunsCellsInTheNegotiatedFormat) {
  RemoteKernelOptions options;
  options.server = server_->info();
  options.offer_v1 = GetParam();
  auto kernel = RemoteKernel::Start(options);
  ASSERT_TRUE(kernel.has_value()) << kernel.error().ToString();
  EXPECT_EQ((*kernel)->subprotocol(), GetParam() ? std::string(kV1Subprotocol) : "");
  EXPECT_EQ((*kernel)->language(), "python");
  EXPECT_TRUE((*kernel)->probed());  // Debian's kernelspec declares the debugger
  OutputCollector output(1 << 20);
  std::vector<fs::path> files;
  CellLimits limits;
  limits.deadline = Clock::now() + std::chrono::seconds(30);
  auto outcome =
      ExecuteCell(**kernel, "import sys\nprint('out')\nprint('err', file=sys.stderr)\n6*7", limits,
                  CancellationToken(), "/tmp", output, files);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status, CellStatus::kOk);
  EXPECT_EQ(output.Finish().output, "out\nerr\n42\n");
  EXPECT_EQ((*kernel)->dropped_messages(), 0u);
  std::string id = (*kernel)->kernel_id();
  kernel->reset();
  auto ids = ServerClient(server_->info()).KernelIds();
  ASSERT_TRUE(ids.has_value());
  EXPECT_THAT(*ids, ::testing::Not(::testing::Contains(id)));
}

INSTANTIATE_TEST_SUITE_P(Formats, JupyterRemoteKernelTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& format) {
                           return format.param ? "V1" : "LegacyJson";
                         });

}  // namespace
}  // namespace codeexec::jupyter
