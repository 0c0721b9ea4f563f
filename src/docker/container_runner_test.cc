#include "docker/container_runner.h"

#include <gtest/gtest.h>

#include "docker/leftovers.h"

namespace codeexec::docker {
namespace {

TEST(ContainerRunnerTest, MapsWorkFolderPathsToTheWorkspace) {
  ContainerRunner runner("", std::chrono::seconds(60));
  runner.Attach(nullptr, "/tmp/work");
  EXPECT_EQ(runner.ToContainerPath("/tmp/work"), "/workspace");
  EXPECT_EQ(runner.ToContainerPath("/tmp/work/a/b.py"), "/workspace/a/b.py");
  EXPECT_EQ(runner.ToContainerPath("-o/tmp/work/prog"), "-o/workspace/prog");
  EXPECT_EQ(runner.ToContainerPath("/tmp/worker/x"), "/tmp/worker/x");
  EXPECT_EQ(runner.ToContainerPath("python3"), "python3");
}

TEST(ContainerRunnerTest, RunningAfterStopIsAnError) {
  ContainerRunner runner("", std::chrono::seconds(60));
  OutputCollector output(100);
  auto outcome = runner.Run(SpawnSpec{"/bin/true", {"/bin/true"}, nullptr, ""}, RunLimits{},
                            CancellationToken(), output);
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
