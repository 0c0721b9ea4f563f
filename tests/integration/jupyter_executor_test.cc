// JupyterCodeExecutor against real kernels: the same behaviour in local mode (Debian's
// python3-ipykernel under /usr/bin/python3, over ZeroMQ), with that kernel in the native sandbox
// (over ZeroMQ's ipc transport; needs root), in a Docker container (the test image's ipykernel,
// over the ipc transport through the mounted work folder; needs a daemon) and in remote mode (a
// real jupyter-server on 127.0.0.1 with a token, over REST and the kernel WebSocket).
#include "codeexec/jupyter_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "codeexec/registry.h"
#include "command.h"
#include "docker_test_util.h"
#include "jupyter_server_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

enum class Mode { kLocal, kSandbox, kDocker, kRemote };
std::string ModeText(Mode mode) {
  switch (mode) {
    case Mode::kLocal:
      return "Local";
    case Mode::kSandbox:
      return "Sandbox";
    case Mode::kDocker:
      return "Docker";
    case Mode::kRemote:
      return "Remote";
  }
  return "?";
}
void PrintTo(Mode mode, std::ostream* out) { *out << ModeText(mode); }

// Whether no process mentioning `text` remains (they may take a moment to be reaped).
bool NoneLeft(const std::string& text) {
  for (int i = 0; i < 100 && !testing::ProcessesMentioning(text).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return testing::ProcessesMentioning(text).empty();
}

class JupyterExecutorTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    bool runnable = fs::exists("/usr/share/jupyter/kernels/python3/kernel.json") &&
                    (!remote() || fs::exists(testing::kJupyterServer));
    if (!runnable && !testing::InCi()) {
      GTEST_SKIP() << "no python3 kernel or jupyter-server here (apt-get install "
                      "python3-ipykernel jupyter-server)";
    }
    if (sandboxed() && geteuid() != 0 && !testing::InCi()) GTEST_SKIP() << "the sandbox needs root";
    if (remote()) server_ = std::make_unique<testing::JupyterServerProcess>();
    if (contained()) {
      auto client = testing::DefaultDockerClient();
      std::string missing = !client ? client.error().message() : "";
      if (client && !client->InspectImage(testing::DockerTestImage())) {
        missing = "the test image is missing: build it with scripts/build-test-image.sh";
      }
      if (!missing.empty()) {
        if (testing::InCi()) FAIL() << missing;
        GTEST_SKIP() << "needs a Docker daemon and the test image: " << missing;
      }
      docker_ = std::move(*client);
      container_label_ = "jupyter-" + temp_.path().filename().string();
    }
  }

  // No container of this test is left (the label is the test's own).
  void TearDown() override {
    if (!docker_) return;
    auto left = docker_->ListContainers({"codeexec.test=" + container_label_});
    ASSERT_TRUE(left.has_value()) << left.error().message();
    for (const auto& container : *left) {
      ADD_FAILURE() << "container left behind: " << container.name;
      [[maybe_unused]] auto removed = docker_->RemoveContainer(container.id, /*force=*/true);
    }
  }

  bool remote() const { return GetParam() == Mode::kRemote; }
  bool sandboxed() const { return GetParam() == Mode::kSandbox; }
  bool contained() const { return GetParam() == Mode::kDocker; }

  // The kernel is gone: its process (a host kernel's pid, when there is one) and every process
  // started with its connection file, named by its private folder (a container's kernel has it
  // under /workspace).
  static bool KernelGone(int pid, const fs::path& connection) {
    return (pid <= 0 || testing::ProcessIsDead(pid)) &&
           NoneLeft(connection.parent_path().filename().string());
  }
  // The configuration keys that select this mode's kernel (besides the work folder).
  nlohmann::json ModeConfig() const {
    if (remote()) {
      return {{"jupyter_server",
               {{"host", "127.0.0.1"}, {"port", server_->port()}, {"token", server_->token()}}}};
    }
    if (contained()) {
      return {{"docker",
               {{"image", testing::DockerTestImage()},
                {"labels", {{"codeexec.test", container_label_}}}}}};
    }
    return sandboxed() ? nlohmann::json{{"sandbox", true}} : nlohmann::json::object();
  }

  // Options for this mode: a work folder locally, the server remotely.
  JupyterExecutorOptions Options() {
    JupyterExecutorOptions options;
    if (remote()) {
      options.server.emplace();
      options.server->port = server_->port();
      options.server->token = server_->token();
    } else {
      options.work_dir = temp_.path() / "work";
      if (sandboxed()) options.isolation = JupyterIsolation::kSandbox;
      if (contained()) {
        options.isolation = JupyterIsolation::kDocker;
        options.docker.image = testing::DockerTestImage();
        options.docker.labels["codeexec.test"] = container_label_;
      }
    }
    return options;
  }

  JupyterCodeExecutor Start(JupyterExecutorOptions options) {
    auto executor = JupyterCodeExecutor::Create(std::move(options));
    if (!executor) throw std::runtime_error(executor.error().ToString());
    return std::move(*executor);
  }
  JupyterCodeExecutor Start() { return Start(Options()); }

  static CodeResult Run(CodeExecutor& executor, std::vector<CodeBlock> blocks) {
    auto result = executor.ExecuteCodeBlocks(blocks);
    if (!result) throw std::runtime_error(result.error().ToString());
    return *result;
  }
  static CodeResult Python(CodeExecutor& executor, const std::string& code) {
    return Run(executor, {{"python", code}});
  }

  // The kernels the server runs (remote mode).
  std::vector<std::string> ServerKernels() {
    auto ids = jupyter::ServerClient(server_->info()).KernelIds();
    if (!ids) throw std::runtime_error(ids.error().ToString());
    return *ids;
  }

  testing::TempDir temp_{"jupyter"};
  std::unique_ptr<testing::JupyterServerProcess> server_;
  std::optional<docker::DockerClient> docker_;  // Docker mode
  std::string container_label_;
};

TEST_P(JupyterExecutorTest, StatePersistsAcrossBlocksAndCalls) {
  auto executor = Start();
  CodeResult first = Run(executor, {{"python", "x = 123 + 123"}, {"python", "print(x)"}});
  EXPECT_EQ(first.exit_code, 0);
  EXPECT_EQ(first.output, "246\n");
  CodeResult second = Python(executor, "print(x)");
  EXPECT_EQ(second.output, "246\n");
  EXPECT_EQ(second.status, ExecutionStatus::kOk);
}

TEST_P(JupyterExecutorTest, RestartForgetsEverything) {
  auto executor = Start();
  Python(executor, "x = 246");
  int old_pid = executor.kernel_pid();
  fs::path old_connection = executor.connection_file();
  std::string old_id = executor.remote_kernel_id();
  ASSERT_TRUE(executor.Restart().has_value());
  if (remote()) {
    EXPECT_THAT(ServerKernels(), ::testing::ElementsAre(executor.remote_kernel_id()));
    EXPECT_NE(executor.remote_kernel_id(), old_id);
  } else {
    EXPECT_TRUE(KernelGone(old_pid, old_connection));
    EXPECT_FALSE(fs::exists(old_connection.parent_path()));
  }
  CodeResult result = Python(executor, "print(x)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("NameError: name 'x' is not defined"));
}

TEST_P(JupyterExecutorTest, LastExpressionValueIsReturned) {
  auto executor = Start();
  CodeResult result = Python(executor, "x = 2\nx * 21");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "42\n");
}

TEST_P(JupyterExecutorTest, StreamTextIsConcatenatedAsPrinted) {
  auto executor = Start();
  CodeResult result = Python(executor,
                             "import sys\nfor i in range(3):\n    print(i, end='', flush=True)\n"
                             "print(' done')\nprint('err', file=sys.stderr)");
  EXPECT_EQ(result.output, "012 done\nerr\n");
  EXPECT_EQ(result.stdout_text, "012 done\n");
  EXPECT_EQ(result.stderr_text, "err\n");
}

TEST_P(JupyterExecutorTest, ErrorStopsTheMessageWithACleanTraceback) {
  auto executor = Start();
  CodeResult result = Run(executor, {{"python", "print('first')"},
                                     {"python", "def f():\n    return 1 / 0\nf()"},
                                     {"python", "print('never')"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.status, ExecutionStatus::kError);
  EXPECT_THAT(result.output, StartsWith("first\n"));
  EXPECT_THAT(result.output, HasSubstr("Traceback"));
  EXPECT_THAT(result.output, HasSubstr("return 1 / 0"));
  EXPECT_THAT(result.output, EndsWith("ZeroDivisionError: division by zero\n"));
  EXPECT_THAT(result.output, Not(HasSubstr("\x1b")));
  EXPECT_THAT(result.output, Not(HasSubstr("never")));
}

TEST_P(JupyterExecutorTest, MatplotlibFigureIsSavedAsPng) {
  fs::path out = temp_.path() / "out";
  fs::create_directories(out);
  JupyterExecutorOptions options = Options();
  options.output_dir = out;
  auto executor = Start(options);
  CodeResult result = Python(
      executor, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  ASSERT_EQ(result.output_files.size(), 1u) << result.output;
  const fs::path& png = result.output_files[0];
  EXPECT_EQ(png.parent_path(), fs::canonical(out));
  EXPECT_EQ(png.extension(), ".png");
  EXPECT_THAT(result.output, HasSubstr("Image data saved to " + png.string() + "\n"));
  std::ifstream file(png, std::ios::binary);
  char magic[8] = {};
  file.read(magic, 8);
  EXPECT_EQ(std::string(magic, 8), "\x89PNG\r\n\x1a\n");
}

TEST_P(JupyterExecutorTest, HtmlDisplayIsSavedAsHtml) {
  auto executor = Start();
  CodeResult result =
      Python(executor, "from IPython.display import HTML, display\ndisplay(HTML('<b>bold</b>'))");
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_EQ(result.output_files.size(), 1u) << result.output;
  EXPECT_EQ(result.output_files[0].extension(), ".html");
  EXPECT_THAT(result.output, HasSubstr("HTML data saved to " + result.output_files[0].string()));
  std::ifstream file(result.output_files[0]);
  std::string html((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(html, "<b>bold</b>");
}

TEST_P(JupyterExecutorTest, TimeoutInterruptsAndKeepsStateAndPartialOutput) {
  JupyterExecutorOptions options = Options();
  options.timeout = std::chrono::seconds(2);
  auto executor = Start(options);
  Python(executor, "y = 7");
  CodeResult result = Python(executor, "import time\nprint('before', flush=True)\ntime.sleep(30)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.status, ExecutionStatus::kTimeout);
  EXPECT_EQ(result.output, "before\n\nTimeout");
  CodeResult after = Python(executor, "print(y)");
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_EQ(after.output, "7\n");
}

TEST_P(JupyterExecutorTest, CancellationInterruptsAndKeepsState) {
  auto executor = Start();
  Python(executor, "z = 3");
  CancellationToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    cancel.Cancel();
  });
  auto result = executor.ExecuteCodeBlocks({{"python", "import time\ntime.sleep(30)"}}, cancel);
  canceller.join();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exit_code, 125);
  EXPECT_EQ(result->status, ExecutionStatus::kCancelled);
  EXPECT_EQ(Python(executor, "print(z)").output, "3\n");
}

TEST_P(JupyterExecutorTest, DyingKernelIsReportedAndRestartRecovers) {
  JupyterExecutorOptions options = Options();
  options.timeout = std::chrono::seconds(10);
  auto executor = Start(options);
  int pid = executor.kernel_pid();
  fs::path connection = executor.connection_file();
  CodeResult result = Python(executor, "print('bye', flush=True)\nimport os\nos._exit(3)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.status, ExecutionStatus::kError);  // reported dead, not timed out
  EXPECT_LT(result.duration, options.timeout);
  EXPECT_THAT(result.output, HasSubstr("The kernel died ("));
  EXPECT_THAT(result.output, HasSubstr("): its state is lost. Call Restart()"));
  if (remote()) {  // noticed by codeexec's probes, or by the server if it polled first
    EXPECT_THAT(result.output, ::testing::AnyOf(HasSubstr("The kernel died (it stopped answering"),
                                                HasSubstr("The kernel died (the Jupyter Server")));
  } else {
    EXPECT_THAT(result.output, HasSubstr("The kernel died (exit code 3)"));
    EXPECT_TRUE(KernelGone(pid, connection));
  }
  auto refused = executor.ExecuteCodeBlocks({{"python", "print(1)"}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("Restart()"));
  ASSERT_TRUE(executor.Restart().has_value());
  EXPECT_EQ(Python(executor, "print(1)").output, "1\n");
  if (remote()) {  // the dead kernel was deleted on the server, even while it restarted it
    EXPECT_THAT(ServerKernels(), ::testing::ElementsAre(executor.remote_kernel_id()));
  }
}

TEST_P(JupyterExecutorTest, InputFailsAtOnceInsteadOfWaiting) {
  auto executor = Start();
  CodeResult result = Python(executor, "name = input('name? ')");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("StdinNotImplementedError"));
  EXPECT_EQ(Python(executor, "print('still here')").output, "still here\n");
}

TEST_P(JupyterExecutorTest, HugeOutputIsCapped) {
  auto executor = Start();
  CodeResult result = Python(executor, "print('x' * 10_000_000)\nprint('end')");
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.status, ExecutionStatus::kOutputLimit);
  EXPECT_LT(result.output.size(), (1u << 20) + 1000);
  EXPECT_EQ(Python(executor, "print(2)").output, "2\n");
}

TEST_P(JupyterExecutorTest, ShellBlocksOfIPythonEscapesRunAsWritten) {
  auto executor = Start();
  // AutoGen's test_execute_code_bash_script. IPython runs `!` commands on a pseudo-terminal,
  // whose lines end in CRLF.
  CodeResult echo = Run(executor, {{"bash", "!echo \"hello world!\""}});
  EXPECT_EQ(echo.exit_code, 0) << echo.output;
  EXPECT_EQ(echo.output, "hello world!\r\n");
  // Line magics change the kernel itself: the working folder and the environment persist.
  CodeResult magics = Run(executor, {{"sh", "# where are we\n%cd /\n%env CODEEXEC_SHELL_TEST=42"}});
  EXPECT_EQ(magics.exit_code, 0) << magics.output;
  EXPECT_EQ(magics.output, "/\nenv: CODEEXEC_SHELL_TEST=42\n");
  CodeResult after = Run(executor, {{"shell", "!pwd\n!printenv CODEEXEC_SHELL_TEST"}});
  EXPECT_EQ(after.exit_code, 0) << after.output;
  EXPECT_EQ(after.output, "/\r\n42\r\n");
  CodeResult cell_magic = Run(executor, {{"bash", "%%bash\nfor i in 1 2; do echo $i; done"}});
  EXPECT_EQ(cell_magic.output, "1\n2\n");
}

TEST_P(JupyterExecutorTest, ShellBlocksRunThroughCellMagics) {
  auto executor = Start();
  CodeResult shell = Run(executor, {{"bash", "echo from bash\ncd /\npwd"}});
  EXPECT_EQ(shell.exit_code, 0) << shell.output;
  EXPECT_EQ(shell.output, "from bash\n/\n");
  // One line that is not an IPython escape makes the block a script, where `!ls` is no command.
  CodeResult mixed = Run(executor, {{"bash", "echo a script\n!ls"}});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_THAT(mixed.output, StartsWith("a script\n"));
  EXPECT_THAT(mixed.output, HasSubstr("non-zero exit status 127"));
  CodeResult failed = Run(executor, {{"sh", "echo partial\nexit 3"}});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.output, StartsWith("partial\nCalledProcessError: "));
  EXPECT_THAT(failed.output, HasSubstr("non-zero exit status 3"));
  EXPECT_THAT(failed.output, Not(HasSubstr("Traceback")));
  CodeResult unknown = Run(executor, {{"ruby", "puts 1"}});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.output, "\nunknown language ruby");
}

TEST_P(JupyterExecutorTest, NothingIsLeftAfterStop) {
  auto executor = Start();
  Python(executor, "import subprocess\np = subprocess.Popen(['sleep', '3001'])");
  int pid = executor.kernel_pid();
  fs::path connection = executor.connection_file();
  ASSERT_TRUE(executor.Stop().has_value());
  if (remote()) {
    EXPECT_THAT(ServerKernels(), ::testing::IsEmpty());
  } else {
    EXPECT_TRUE(KernelGone(pid, connection));
    EXPECT_TRUE(NoneLeft(std::string("sleep\0003001", 10)));
    EXPECT_FALSE(fs::exists(connection));
    EXPECT_FALSE(fs::exists(connection.parent_path()));
  }
  ASSERT_TRUE(executor.Stop().has_value());  // idempotent
  auto refused = executor.ExecuteCodeBlocks({{"python", "1"}});
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_P(JupyterExecutorTest, NothingIsLeftAfterDestruction) {
  int pid = -1;
  fs::path connection;
  {
    auto executor = Start();
    Python(executor, "import subprocess\np = subprocess.Popen(['sleep', '3002'])");
    pid = executor.kernel_pid();
    connection = executor.connection_file();
  }
  if (remote()) {
    EXPECT_THAT(ServerKernels(), ::testing::IsEmpty());
  } else {
    EXPECT_TRUE(KernelGone(pid, connection));
    EXPECT_TRUE(NoneLeft(std::string("sleep\0003002", 10)));
    EXPECT_FALSE(fs::exists(connection));
  }
}

TEST_P(JupyterExecutorTest, UnknownKernelAndMissingOutputDirGiveSpecMessages) {
  JupyterExecutorOptions options = Options();
  options.kernel_name = "nosuchkernel";
  auto unknown = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(unknown.has_value());
  if (contained()) {  // the image's ipykernel, whatever this host has installed
    EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(unknown.error().message(), HasSubstr("the image's ipykernel"));
  } else {
    EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
    EXPECT_THAT(unknown.error().message(), StartsWith("Kernel nosuchkernel is not installed."));
  }
  options.kernel_name = "python3";
  options.output_dir = "/nonexistent/out";
  auto missing = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "Output directory /nonexistent/out does not exist.");
}

TEST_P(JupyterExecutorTest, RegistryBuildsItFromJson) {
  fs::path out = temp_.path() / "o";
  fs::create_directories(out);
  nlohmann::json config = {{"kernel_name", "python3"},
                           {"timeout", 30},
                           {"output_dir", out.string()},
                           {"output_limit", 1000}};
  config.update(ModeConfig());
  if (!remote()) config["work_dir"] = (temp_.path() / "w").string();
  auto executor = DefaultExecutorRegistry().Create("jupyter", config.dump());
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  CodeResult result = Python(**executor, "print(6 * 7)");
  EXPECT_EQ(result.output, "42\n");
}

TEST_P(JupyterExecutorTest, CommandLineRunsThroughTheKernel) {
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nx = 40\n```\n```python\nprint(x + 2)\n```\n";
  std::vector<std::string> argv = {CODEEXEC_CLI, "run", "--executor", "jupyter"};
  if (!ModeConfig().empty()) argv.insert(argv.end(), {"--config", ModeConfig().dump()});
  if (!remote()) argv.insert(argv.end(), {"--work-dir", (temp_.path() / "w").string()});
  argv.push_back(message.string());
  auto run = testing::RunCommand(argv);
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: 42\n");
}

std::string ModeName(const ::testing::TestParamInfo<Mode>& mode) { return ModeText(mode.param); }

INSTANTIATE_TEST_SUITE_P(Modes, JupyterExecutorTest,
                         ::testing::Values(Mode::kLocal, Mode::kSandbox, Mode::kDocker,
                                           Mode::kRemote),
                         ModeName);

// Local mode only: the kernel is a child of this process.
using JupyterLocalExecutorTest = JupyterExecutorTest;

TEST_P(JupyterLocalExecutorTest, KernelRunsInTheWorkFolder) {
  auto executor = Start();
  CodeResult result = Python(executor, "import os\nprint(os.getcwd())");
  EXPECT_EQ(result.output, fs::canonical(temp_.path() / "work").string() + "\n");
}

TEST_P(JupyterLocalExecutorTest, TemporaryWorkFolderIsRemovedAtStop) {
  auto executor = JupyterCodeExecutor::Create();
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  fs::path work = executor->work_dir();
  EXPECT_EQ(executor->output_dir(), work);
  EXPECT_TRUE(fs::is_directory(work));
  ASSERT_TRUE(executor->Stop().has_value());
  EXPECT_FALSE(fs::exists(work));
}

TEST_P(JupyterLocalExecutorTest, BrokenInterpreterFailsWithItsLog) {
  JupyterExecutorOptions options = Options();
  options.python = "/bin/false";
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(executor.error().message(), HasSubstr("died while starting (exit code 1)"));
}

TEST_P(JupyterLocalExecutorTest, AutoGensNamesReachTheKernel) {
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nx = 40\n```\n```bash\n!echo $((2 + 0))\n```\n";
  constexpr char kReply[] = "exitcode: 0 (execution succeeded)\nCode output: 2\r\n";
  auto run = testing::RunCommand({CODEEXEC_CLI, "run", "--executor", "ipython-embedded",
                                  "--work-dir", (temp_.path() / "w").string(), message.string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, kReply);
  nlohmann::json config = {{"executor", "jupyter-local"},
                           {"jupyter-local", {{"timeout", 30}, {"kernel_name", "python3"}}}};
  auto reply = testing::RunCommand(
      {CODEEXEC_CLI, "reply", message.string(), "--code-execution-config", config.dump()});
  EXPECT_EQ(reply.exit_code, 0) << reply.stderr_text;
  EXPECT_EQ(reply.stdout_text, kReply);
}

INSTANTIATE_TEST_SUITE_P(Modes, JupyterLocalExecutorTest, ::testing::Values(Mode::kLocal),
                         ModeName);

// Remote mode only: what a Jupyter Server adds.
using JupyterRemoteExecutorTest = JupyterExecutorTest;

TEST_P(JupyterRemoteExecutorTest, BadTokenIsAClearAuthenticationError) {
  JupyterExecutorOptions options = Options();
  options.server->token = "not-the-token";
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(executor.error().message(), HasSubstr("authentication failed"));
  EXPECT_THAT(executor.error().message(), HasSubstr("HTTP 403"));
  EXPECT_THAT(executor.error().message(), Not(HasSubstr("not-the-token")));
  EXPECT_THAT(ServerKernels(), ::testing::IsEmpty());
}

TEST_P(JupyterRemoteExecutorTest, UnreachableServerSaysSo) {
  JupyterExecutorOptions options = Options();
  int port = server_->port();
  server_.reset();  // stopped: nothing listens there any more
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(
      executor.error().message(),
      HasSubstr("cannot reach the Jupyter Server at http://127.0.0.1:" + std::to_string(port)));
}

TEST_P(JupyterRemoteExecutorTest, LocalOnlyOptionsAreRefused) {
  JupyterExecutorOptions options = Options();
  options.work_dir = temp_.path();
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Modes, JupyterRemoteExecutorTest, ::testing::Values(Mode::kRemote),
                         ModeName);

}  // namespace
}  // namespace codeexec
