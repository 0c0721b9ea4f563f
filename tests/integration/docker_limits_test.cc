// The Docker executor's container options taking effect: memory limit, network mode, environment,
// init command, and what stop_container / auto_remove leave behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docker_test_util.h"

namespace codeexec {
namespace {

using ::testing::HasSubstr;

class DockerLimitsTest : public testing::DockerTest {};

TEST_F(DockerLimitsTest, ABlockAllocatingPastTheMemoryLimitIsKilledAndReported) {
  auto options = Options();
  options.memory_limit = 64 << 20;
  auto executor = Make(options);
  auto result = Run(executor, {{"python",
                                "print('allocating', flush=True)\n"
                                "block = bytearray(512 * 1024 * 1024)\n"
                                "print('survived')"}});
  EXPECT_EQ(result.status, ExecutionStatus::kMemoryLimit) << result.output;
  EXPECT_EQ(result.exit_code, 137);
  EXPECT_EQ(result.output, "allocating\n\nMemory limit exceeded");
  // The container itself survives its block.
  EXPECT_EQ(Run(executor, {{"sh", "echo alive"}}).output, "alive\n");
}

TEST_F(DockerLimitsTest, AMemoryLimitKillIsReportedThroughTheExecApiToo) {
  auto options = Options();
  options.memory_limit = 64 << 20;
  options.use_runner = false;  // the daemon's oom event tells, rather than the runner
  auto executor = Make(options);
  auto result = Run(executor, {{"python", "block = bytearray(512 * 1024 * 1024)"}});
  EXPECT_EQ(result.status, ExecutionStatus::kMemoryLimit) << result.output;
  EXPECT_EQ(result.exit_code, 137);
}

TEST_F(DockerLimitsTest, NetworkModeNoneLeavesOnlyLoopback) {
  auto options = Options();
  options.network_mode = "none";
  auto executor = Make(options);
  auto result = Run(executor, {{"python",
                                "import os, socket\n"
                                "print(sorted(os.listdir('/sys/class/net')))\n"
                                "socket.create_connection(('192.0.2.1', 80), timeout=5)"}});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("['lo']"));
  EXPECT_THAT(result.output, HasSubstr("Network is unreachable"));
}

TEST_F(DockerLimitsTest, EnvironmentAndInitCommandApply) {
  auto options = Options();
  options.env.set = {{"GREETING", "hello from the host"}};
  options.init_command = "echo \"$GREETING\" > /tmp/init-ran";
  auto executor = Make(options);
  auto result = Run(executor, {{"sh", "cat /tmp/init-ran; echo \"$GREETING\""}});
  EXPECT_EQ(result.output, "hello from the host\nhello from the host\n");
}

TEST_F(DockerLimitsTest, TheCodeRunsAsTheGivenUser) {
  auto options = Options();
  options.user = "65534:65534";
  options.bind_work_dir = false;  // a copied /workspace is open to any user
  auto executor = Make(options);
  auto result = Run(executor, {{"sh", "id -u; echo written > by-nobody.txt && cat by-nobody.txt"}});
  EXPECT_EQ(result.output, "65534\nwritten\n");
}

TEST_F(DockerLimitsTest, AFailingInitCommandFailsCreateAndLeavesNothing) {
  auto options = Options();
  options.init_command = "echo cannot set up >&2; exit 7";
  auto executor = DockerCommandLineCodeExecutor::Create(options);
  ASSERT_FALSE(executor);
  EXPECT_THAT(executor.error().message(), HasSubstr("failed with exit code 7"));
  EXPECT_THAT(executor.error().message(), HasSubstr("cannot set up"));
  EXPECT_TRUE(TestContainers().empty());
}

TEST_F(DockerLimitsTest, PidsLimitCapsProcesses) {
  auto options = Options();
  options.pids_limit = 20;
  auto executor = Make(options);
  auto result = Run(executor, {{"sh", "for i in $(seq 40); do sleep 5 & done; wait"}});
  EXPECT_THAT(result.output, HasSubstr("fork"));
}

TEST_F(DockerLimitsTest, WithoutAutoRemoveStopLeavesTheStoppedContainer) {
  auto options = Options();
  options.auto_remove = false;
  auto executor = Make(options);
  EXPECT_TRUE(executor.Stop());
  auto left = TestContainers();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].state, "exited");
  EXPECT_TRUE(client_->RemoveContainer(left[0].id, /*force=*/true));
}

TEST_F(DockerLimitsTest, WithoutStopContainerTheContainerKeepsRunning) {
  auto options = Options();
  options.stop_container = false;
  auto executor = Make(options);
  EXPECT_TRUE(executor.Stop());
  auto left = TestContainers();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].state, "running");
  EXPECT_TRUE(client_->RemoveContainer(left[0].id, /*force=*/true));
}

}  // namespace
}  // namespace codeexec
