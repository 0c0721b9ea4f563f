// JupyterCodeExecutor::FromJson: configurations refused before any kernel starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codeexec/jupyter_executor.h"

namespace codeexec {
namespace {

using ::testing::HasSubstr;

Error Refusal(std::string_view json) {
  auto executor = JupyterCodeExecutor::FromJson(json);
  EXPECT_FALSE(executor.has_value());
  return executor ? Error(ErrorCode::kInternal, "accepted") : executor.error();
}

TEST(JupyterConfigTest, UnknownKeysAreRefusedWithTheKnownOnes) {
  Error error = Refusal(R"({"kernel": "python3"})");
  EXPECT_EQ(error.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("'kernel'"));
  EXPECT_THAT(error.message(), HasSubstr("kernel_name"));
}

TEST(JupyterConfigTest, BadValuesAreRefused) {
  EXPECT_THAT(Refusal(R"({"timeout": 0.5})").message(), HasSubstr("greater than or equal to 1"));
  EXPECT_THAT(Refusal(R"({"timeout": "10"})").message(), HasSubstr("seconds"));
  EXPECT_THAT(Refusal(R"({"output_limit": -1})").message(), HasSubstr("bytes"));
  EXPECT_THAT(Refusal(R"({"kernel_name": 3})").message(), HasSubstr("bad jupyter"));
  EXPECT_THAT(Refusal("[1]").message(), HasSubstr("JSON object"));
  EXPECT_THAT(Refusal("{").message(), HasSubstr("bad jupyter"));
}

TEST(JupyterConfigTest, ServerOptionsAreCheckedBeforeConnecting) {
  EXPECT_THAT(Refusal(R"({"jupyter_server": {"port": 1, "cafile": "x"}})").message(),
              HasSubstr("ca_file, liveness_timeout"));
  EXPECT_THAT(Refusal(R"({"jupyter_server": {"port": 1, "ca_file": "/etc/hostname"}})").message(),
              HasSubstr("set https to true"));
  EXPECT_THAT(Refusal(R"({"jupyter_server": {"port": 1, "https": true,
                                             "ca_file": "/nonexistent/ca.pem"}})")
                  .message(),
              HasSubstr("ca_file /nonexistent/ca.pem is not a file"));
  EXPECT_THAT(Refusal(R"({"jupyter_server": {"port": 1, "liveness_timeout": -1}})").message(),
              HasSubstr("expected a number of seconds from 0 to 2592000"));
  EXPECT_THAT(Refusal(R"({"jupyter_server": {"port": 1, "liveness_timeout": "1"}})").message(),
              HasSubstr("seconds"));
}

TEST(JupyterConfigTest, MissingOutputDirectoryHasSpecMessage) {
  Error error = Refusal(R"({"output_dir": "/nonexistent/plots"})");
  EXPECT_EQ(error.message(), "Output directory /nonexistent/plots does not exist.");
}

TEST(JupyterConfigTest, UnknownKernelHasSpecMessage) {
  Error error = Refusal(R"({"kernel_name": "no-such-kernel"})");
  EXPECT_EQ(error.code(), ErrorCode::kNotFound);
  EXPECT_THAT(error.message(), ::testing::StartsWith("Kernel no-such-kernel is not installed."));
}

TEST(JupyterConfigTest, IsolationNamesAreCheckedAndExclusiveWithAServer) {
  EXPECT_THAT(Refusal(R"({"isolation": "vm"})").message(),
              HasSubstr("'vm' is not one of none, sandbox, docker"));
  EXPECT_THAT(Refusal(R"({"sandbox": "yes"})").message(), HasSubstr("expected true, false"));
  EXPECT_THAT(Refusal(R"({"sandbox": {"memory": 1}})").message(),
              HasSubstr("unknown key 'memory'"));
  EXPECT_THAT(Refusal(R"({"sandbox": {"work_dir_size_limit": 1}})").message(),
              HasSubstr("unknown key 'work_dir_size_limit'"));
  EXPECT_THAT(Refusal(R"({"sandbox": {"host_uid": 0}})").message(), HasSubstr("unprivileged id"));
  EXPECT_THAT(Refusal(R"({"isolation": "sandbox", "jupyter_server": {"port": 1}})").message(),
              HasSubstr("isolation does not apply to a kernel on a Jupyter Server"));
  EXPECT_THAT(Refusal(R"({"isolation": "docker", "kernel_name": "ir"})").message(),
              HasSubstr("a kernel in a container is the image's ipykernel"));
  EXPECT_THAT(Refusal(R"({"docker": "yes"})").message(), HasSubstr("expected true, false"));
  EXPECT_THAT(Refusal(R"({"docker": {"memory": 1}})").message(),
              HasSubstr("unknown key 'memory' (known: image, docker_host"));
  EXPECT_THAT(Refusal(R"({"docker": {"memory_limit": 1024}})").message(),
              HasSubstr("memory_limit must be 0 (none) or at least 6 MiB"));
  EXPECT_THAT(Refusal(R"({"docker": {"cap_add": ["ALL"]}})").message(), HasSubstr("ALL"));
  EXPECT_THAT(Refusal(R"({"docker": {"docker_host": "tcp://127.0.0.1:1"}})").message(),
              HasSubstr("needs a Docker daemon on this host"));
}

TEST(JupyterConfigTest, SandboxFlagIsCheckedBeforeTheKernelIsLookedUp) {
  // The service probes for the option this way: a refusal that is not "unknown option".
  Error error = Refusal(R"({"sandbox": true, "kernel_name": "codeexec-probe-no-such-kernel"})");
  EXPECT_EQ(error.code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace codeexec
