// JupyterCodeExecutor in remote mode, for what only a Jupyter Server brings: a kernel whose death
// the server does not report at once, and https/wss with a certificate to trust. A real
// jupyter-server on 127.0.0.1 with a token; TLS with a self-signed certificate made by openssl.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "codeexec/jupyter_executor.h"
#include "command.h"
#include "jupyter_server_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// A server that never restarts (nor notices) a dead kernel.
testing::JupyterServerOptions WithoutAutorestart() {
  testing::JupyterServerOptions options;
  options.extra_args = {"--KernelManager.autorestart=False"};
  return options;
}

testing::JupyterServerOptions WithTls() {
  testing::JupyterServerOptions options;
  options.https = true;
  return options;
}

class JupyterRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bool runnable = fs::exists(testing::kJupyterServer) && fs::exists("/usr/bin/openssl");
    if (!runnable && !testing::InCi()) {
      GTEST_SKIP() << "no jupyter-server or openssl here (apt-get install jupyter-server openssl)";
    }
  }

  void StartServer(testing::JupyterServerOptions options = {}) {
    server_ = std::make_unique<testing::JupyterServerProcess>(std::move(options));
  }

  JupyterExecutorOptions Options() const {
    JupyterExecutorOptions options;
    options.server.emplace();
    options.server->port = server_->port();
    options.server->token = server_->token();
    return options;
  }

  static JupyterCodeExecutor Start(JupyterExecutorOptions options) {
    auto executor = JupyterCodeExecutor::Create(std::move(options));
    if (!executor) throw std::runtime_error(executor.error().ToString());
    return std::move(*executor);
  }

  static CodeResult Python(CodeExecutor& executor, const std::string& code) {
    auto result = executor.ExecuteCodeBlocks({{"python", code}});
    if (!result) throw std::runtime_error(result.error().ToString());
    return *result;
  }

  std::vector<std::string> ServerKernels() const {
    auto ids = jupyter::ServerClient(server_->info()).KernelIds();
    if (!ids) throw std::runtime_error(ids.error().ToString());
    return *ids;
  }

  testing::TempDir temp_{"jupyter-remote"};
  std::unique_ptr<testing::JupyterServerProcess> server_;
};

// With autorestart off the server never notices a dead kernel: only codeexec's own probes can.
TEST_F(JupyterRemoteTest, DeadKernelIsReportedWithoutTheServersHelp) {
  StartServer(WithoutAutorestart());
  JupyterExecutorOptions options = Options();
  options.timeout = std::chrono::seconds(10);
  auto executor = Start(options);
  Python(executor, "x = 1");
  CodeResult result = Python(executor, "import os\nos._exit(3)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.status, ExecutionStatus::kError);  // reported dead, not timed out
  EXPECT_LT(result.duration, options.timeout);
  EXPECT_THAT(result.output, HasSubstr("The kernel died (it stopped answering"));
  ASSERT_TRUE(executor.Restart().has_value());
  EXPECT_EQ(Python(executor, "print(1)").output, "1\n");
  EXPECT_THAT(ServerKernels(), ::testing::ElementsAre(executor.remote_kernel_id()));
}

TEST_F(JupyterRemoteTest, LongCellsAreNotMistakenForADeadKernel) {
  StartServer(WithoutAutorestart());
  auto executor = Start(Options());
  CodeResult sleep = Python(executor, "import time\ntime.sleep(3)\nprint('slept')");
  EXPECT_EQ(sleep.exit_code, 0) << sleep.output;
  EXPECT_EQ(sleep.output, "slept\n");
  CodeResult numpy = Python(executor,
                            "import time, numpy as np\n"
                            "start, n = time.monotonic(), 0\n"
                            "while time.monotonic() - start < 3:\n"
                            "    a = np.random.rand(400, 400)\n"
                            "    n += float((a @ a.T).trace()) > 0\n"
                            "print(n > 0)");
  EXPECT_EQ(numpy.exit_code, 0) << numpy.output;
  EXPECT_EQ(numpy.output, "True\n");
}

// The trade-off of liveness_timeout: C code holding the GIL cannot answer the probes (here libc's
// sleep called through ctypes.PyDLL, which keeps the GIL).
constexpr char kHoldGil[] = "import ctypes\nctypes.PyDLL(None).sleep(3)\nprint('held')";

TEST_F(JupyterRemoteTest, CodeHoldingTheGilLongerThanTheLivenessTimeoutIsReportedDead) {
  StartServer(WithoutAutorestart());
  auto executor = Start(Options());  // liveness_timeout 1 s
  CodeResult result = Python(executor, kHoldGil);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("The kernel died (it stopped answering"));
  EXPECT_THAT(result.output, HasSubstr("raise the server's liveness_timeout"));
}

TEST_F(JupyterRemoteTest, LongerLivenessTimeoutLetsCodeHoldTheGil) {
  StartServer(WithoutAutorestart());
  JupyterExecutorOptions options = Options();
  options.server->liveness_timeout = std::chrono::seconds(10);
  auto executor = Start(options);
  CodeResult result = Python(executor, kHoldGil);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "held\n");
}

TEST_F(JupyterRemoteTest, HttpsServerWithATrustedCertificateRunsCells) {
  StartServer(WithTls());
  JupyterExecutorOptions options = Options();
  options.server->https = true;
  options.server->ca_file = server_->ca_file();
  auto executor = Start(options);
  EXPECT_EQ(Python(executor, "x = 6\nprint(x * 7)").output, "42\n");
  ASSERT_TRUE(executor.Restart().has_value());
  EXPECT_EQ(Python(executor, "print(2)").output, "2\n");
}

TEST_F(JupyterRemoteTest, UntrustedCertificateIsAClearError) {
  StartServer(WithTls());
  JupyterExecutorOptions options = Options();
  options.server->https = true;  // verified against the system's CA store: not trusted
  auto executor = JupyterCodeExecutor::Create(options);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(executor.error().message(), HasSubstr("https://127.0.0.1:"));
  EXPECT_THAT(executor.error().message(), HasSubstr("certificate verification failed"));
  EXPECT_THAT(executor.error().message(), HasSubstr("ca_file"));
  EXPECT_THAT(executor.error().message(), Not(HasSubstr(server_->token())));
  EXPECT_THAT(ServerKernels(), ::testing::IsEmpty());
}

TEST_F(JupyterRemoteTest, CommandLineTrustsTheCaFileOfItsConfiguration) {
  StartServer(WithTls());
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nprint(40 + 2)\n```\n";
  nlohmann::json config = {{"jupyter_server",
                            {{"port", server_->port()},
                             {"token", server_->token()},
                             {"https", true},
                             {"ca_file", server_->ca_file()}}}};
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "run", "--executor", "jupyter", "--config", config.dump(), message.string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: 42\n");
}

TEST_F(JupyterRemoteTest, SslCertFileIsTrustedLikeTheSystemStore) {
  StartServer(WithTls());
  fs::path message = temp_.path() / "m.md";
  std::ofstream(message) << "```python\nprint(40 + 2)\n```\n";
  nlohmann::json config = {
      {"jupyter_server",
       {{"port", server_->port()}, {"token", server_->token()}, {"https", true}}}};
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "run", "--executor", "jupyter", "--config", config.dump(), message.string()},
      "", {{"SSL_CERT_FILE", server_->ca_file()}});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: 42\n");
}

}  // namespace
}  // namespace codeexec
