#include "docker/container_runner.h"

#include <gtest/gtest.h>

#include "docker/leftovers.h"

namespace codeexec::docker {
namespace {

TEST(ContainerRunnerTest, TheWorkFolderIsTheWorkspaceWhereStepsRun) {
  ContainerRunner runner("", std::chrono::seconds(60));
  EXPECT_EQ(runner.WorkFolderPath("/tmp/work"), "/workspace");
}

TEST(ContainerRunnerTest, RunningAfterStopIsAnError) {
  ContainerRunner runner("", std::chrono::seconds(60));
  OutputCollector output(100);
  Environment env;
  Step step;
  step.argv = {"/bin/true"};
  step.env = &env;
  auto outcome = runner.Run(step, RunLimits{}, CancellationToken(), output);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::kFailedPrecondition);
}

TEST(OwnerLabelTest, ThisProcessIsAliveAndADeadPidIsNot) {
  std::string self = OwnerLabelValue();
  EXPECT_TRUE(OwnerIsAlive(self));
  std::string host = self.substr(0, self.find('/'));
  EXPECT_FALSE(OwnerIsAlive(host + "/999999999/12345"));
  // Same pid, another start time: the pid was reused.
  std::string pid = self.substr(0, self.rfind('/'));
  EXPECT_FALSE(OwnerIsAlive(pid + "/1"));
  // Another host, or an unknown format: never judged dead.
  EXPECT_TRUE(OwnerIsAlive("some-other-host/1/1"));
  EXPECT_TRUE(OwnerIsAlive("garbage"));
}

}  // namespace
}  // namespace codeexec::docker
