// The Docker executor's warm pool (the warm_pool option): new executors take containers started
// ahead for their configuration, the pool refills, and draining (or the process ending) leaves
// nothing behind.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "docker/warm_pool.h"
#include "docker_test_util.h"

namespace codeexec {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::Not;

class DockerPoolTest : public testing::DockerTest {
 protected:
  void TearDown() override {
    DockerCommandLineCodeExecutor::DrainWarmPool();
    DockerTest::TearDown();
  }

  // Waits until the pool holds `count` started containers; returns the ids of this test's
  // containers then.
  std::vector<std::string> WaitForWarm(std::size_t count) {
    for (int i = 0; i < 3000 && docker::WarmPool::Shared().ready_count() < count; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(docker::WarmPool::Shared().ready_count(), count);
    std::vector<std::string> ids;
    for (const auto& container : TestContainers()) ids.push_back(container.id);
    return ids;
  }
};

TEST_F(DockerPoolTest, ANewExecutorTakesAWarmContainerAndThePoolRefills) {
  auto options = Options();
  options.work_dir.clear();  // each executor gets a temporary folder, the warm one's
  options.warm_pool = 1;
  auto first = Make(options);  // nothing warm yet: starts its own, and the pool fills
  std::vector<std::string> before = WaitForWarm(1);
  ASSERT_EQ(before.size(), 2u);
  auto second = Make(options);
  EXPECT_THAT(before, Contains(second.container_id()));
  EXPECT_NE(second.container_id(), first.container_id());
  auto result = Run(second, {{"python", "open('out.txt', 'w').write('warm'); print('ran')"}});
  EXPECT_EQ(result.output, "ran\n");
  fs::path folder = second.work_dir();
  EXPECT_TRUE(fs::exists(folder / "out.txt"));
  WaitForWarm(1);  // refilled
  EXPECT_EQ(TestContainers().size(), 3u);
  EXPECT_TRUE(second.Stop());
  EXPECT_FALSE(fs::exists(folder));
  EXPECT_TRUE(first.Stop());
  DockerCommandLineCodeExecutor::DrainWarmPool();
  EXPECT_EQ(docker::WarmPool::Shared().ready_count(), 0u);
  EXPECT_TRUE(TestContainers().empty());
}

TEST_F(DockerPoolTest, AWarmContainerServesOnlyItsOwnConfiguration) {
  auto options = Options();
  options.warm_pool = 1;
  options.env.set = {{"FLAVOUR", "one"}};
  auto first = Make(options);
  std::vector<std::string> warm = WaitForWarm(1);
  options.env.set = {{"FLAVOUR", "two"}};
  auto other = Make(options);
  EXPECT_THAT(warm, Not(Contains(other.container_id())));
  EXPECT_EQ(Run(other, {{"sh", "echo $FLAVOUR"}}).output, "two\n");
  // The same configuration, with the same work folder, takes it.
  options.env.set = {{"FLAVOUR", "one"}};
  std::ofstream(work_ / "shared.txt") << "seen";
  auto same = Make(options);
  EXPECT_THAT(warm, Contains(same.container_id()));
  EXPECT_EQ(Run(same, {{"sh", "echo $FLAVOUR; cat shared.txt"}}).output, "one\nseen");
}

TEST_F(DockerPoolTest, AProcessThatEndsRemovesItsWarmContainers) {
  // The CLI's executor fills a pool while its block runs; the process ends without a word about
  // it, and nothing may remain.
  testing::TempDir messages("docker-pool-message");
  std::ofstream(messages.path() / "message.md") << "```sh\nsleep 2; echo done\n```\n";
  std::string config =
      fmt::format(R"({{"warm_pool": 1, "labels": {{"{}": "{}"}}}})", kTestLabel, test_id_);
  auto run = testing::RunCommand({CODEEXEC_CLI, "run", "--executor", "docker", "--image",
                                  testing::DockerTestImage(), "--config", config,
                                  (messages.path() / "message.md").string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stdout_text, ::testing::HasSubstr("done"));
  EXPECT_TRUE(TestContainers().empty());
}

}  // namespace
}  // namespace codeexec
