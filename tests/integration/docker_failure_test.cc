// The Docker executor's failures: an unreachable daemon, a missing image, a taken name, a
// container that dies under the executor, and a process that dies without stopping its executor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "docker_test_util.h"

namespace codeexec {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class DockerFailureTest : public testing::DockerTest {
 protected:
  // A container codeexec did not make, labelled for the fixture's cleanup check.
  std::string ForeignContainer(const std::string& name) {
    docker::ContainerConfig config;
    config.name = name;
    config.image = testing::DockerTestImage();
    config.entrypoint = {"/bin/sh", "-c", "sleep 600"};
    config.labels[kTestLabel] = test_id_;
    auto id = client_->CreateContainer(config);
    EXPECT_TRUE(id) << id.error().message();
    return id ? *id : "";
  }
};

using testing::ScopedEnv;

TEST_F(DockerFailureTest, AnUnreachableDaemonGivesAClearError) {
  ScopedEnv docker_host("DOCKER_HOST", "unix:///tmp/codeexec-no-such-docker.sock");
  auto executor = DockerCommandLineCodeExecutor::Create(Options());
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  const std::string& message = executor.error().message();
  EXPECT_THAT(message, HasSubstr("not reachable at unix:///tmp/codeexec-no-such-docker.sock "
                                 "(from DOCKER_HOST)"));
  EXPECT_THAT(message, HasSubstr("dockerd"));
  EXPECT_THAT(message, HasSubstr("--executor local"));
}

TEST_F(DockerFailureTest, AMissingImageGivesAClearError) {
  auto options = Options();
  options.image = "codeexec/no-such-image:never";
  auto executor = DockerCommandLineCodeExecutor::Create(options);
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kNotFound);
  const std::string& message = executor.error().message();
  EXPECT_THAT(message, HasSubstr("the Docker image codeexec/no-such-image:never is not on the "
                                 "daemon"));
  EXPECT_THAT(message, HasSubstr("codeexec docker build-image"));
  EXPECT_TRUE(TestContainers().empty());
}

TEST_F(DockerFailureTest, ANameTakenByAForeignContainerIsRefused) {
  std::string name = "codeexec-test-foreign-" + test_id_;
  std::string foreign = ForeignContainer(name);
  auto options = Options();
  options.container_name = name;
  auto executor = DockerCommandLineCodeExecutor::Create(options);
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(executor.error().message(), HasSubstr("not made by codeexec"));
  EXPECT_THAT(executor.error().message(), HasSubstr("docker rm -f " + name));
  EXPECT_TRUE(client_->RemoveContainer(foreign, /*force=*/true));
}

TEST_F(DockerFailureTest, ALeftoverCodeexecContainerOfTheSameNameIsReplaced) {
  auto options = Options();
  options.container_name = "codeexec-test-leftover-" + test_id_;
  options.stop_container = false;  // leaves it running, as a crashed run would
  { auto first = Make(options); }
  ASSERT_EQ(TestContainers().size(), 1u);
  options.stop_container = true;
  auto second = Make(options);
  EXPECT_EQ(Run(second, {{"sh", "echo replaced"}}).output, "replaced\n");
  EXPECT_EQ(TestContainers().size(), 1u);
}

TEST_F(DockerFailureTest, AContainerDyingUnderTheExecutorIsReportedAndRestartRecovers) {
  auto executor = Make();
  std::string id = executor.container_id();
  // SIGTERM to the container's idle shell ends the container (this block may or may not finish
  // before it does).
  [[maybe_unused]] auto killing = executor.ExecuteCodeBlocks({{"sh", "kill -TERM 1"}});
  for (int i = 0; i < 500; ++i) {
    auto state = client_->InspectContainer(id);
    if (!state || !state->running) break;
    std::this_thread::sleep_for(10ms);
  }
  auto after = executor.ExecuteCodeBlocks({{"sh", "echo hello"}});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(after.error().message(), HasSubstr("Restart()"));
  ASSERT_TRUE(executor.Restart());
  EXPECT_EQ(Run(executor, {{"sh", "echo hello"}}).output, "hello\n");
}

TEST_F(DockerFailureTest, AProcessKilledWithoutStoppingItsExecutorLeavesNoContainer) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto executor = DockerCommandLineCodeExecutor::Create(Options());
    char status = executor ? 'y' : 'n';
    [[maybe_unused]] auto written = write(ready[1], &status, 1);
    pause();  // until killed: the executor is never stopped
    _exit(0);
  }
  close(ready[1]);
  char status = 0;
  ASSERT_EQ(read(ready[0], &status, 1), 1);
  close(ready[0]);
  ASSERT_EQ(status, 'y');
  ASSERT_EQ(TestContainers().size(), 1u);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // The daemon notices the closed connection, the container's stdin closes, its idle shell exits
  // and the daemon removes it.
  for (int i = 0; i < 500 && !TestContainers().empty(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(TestContainers().empty());
}

}  // namespace
}  // namespace codeexec
