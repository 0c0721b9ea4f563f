// The Docker executor with a daemon that cannot see this host's files: reached at tcp:// (the
// real daemon behind a test-only TCP listener), or told not to mount the work folder
// (bind_work_dir off). The work folder is then copied into the container before each block and
// out after it, and codeexec's runner is uploaded into each container.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "docker_test_util.h"
#include "tcp_forwarder.h"

namespace codeexec {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ReadFile;

class DockerRemoteTest : public testing::DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    forwarder_.emplace(client_->endpoint().socket_path);
    ASSERT_NE(forwarder_->port(), 0) << "cannot listen on 127.0.0.1";
  }

  std::optional<testing::TcpForwarder> forwarder_;
};

TEST_F(DockerRemoteTest, SeedScatterPlotOverTcpBringsThePngBackToTheHost) {
  testing::ScopedEnv docker_host("DOCKER_HOST", forwarder_->address().c_str());
  auto executor = Make();
  EXPECT_TRUE(executor.uses_runner());
  std::string message = ReadFile(CODEEXEC_SOURCE_DIR "/examples/scatter.md");
  auto blocks = executor.code_extractor().ExtractCodeBlocks(std::string_view(message));
  auto result = Run(executor, blocks);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "Scatter plot saved to scatter.png\n");
  EXPECT_EQ(ReadFile(work_ / "scatter.png").substr(0, 8), "\x89PNG\r\n\x1a\n");
  // Nothing of this host is mounted at /workspace: the container's copy is its own.
  auto mounts = Run(executor, {{"sh", "grep -c ' /workspace ' /proc/mounts || true"}});
  EXPECT_EQ(mounts.output, "0\n");
}

TEST_F(DockerRemoteTest, TheCopiedWorkDirCarriesChangesBothWaysAndNothingOutsideIt) {
  auto options = Options();
  options.docker_host = forwarder_->address();
  std::ofstream(work_ / "input.txt") << "from the host\n";
  auto executor = Make(options);
  auto first = Run(executor, {{"sh",
                               "cat input.txt; mkdir -p sub; echo made > sub/out.txt; "
                               "ln -s /etc/passwd link; echo changed > input.txt"}});
  EXPECT_EQ(first.output, "from the host\n");
  EXPECT_EQ(ReadFile(work_ / "sub" / "out.txt"), "made\n");
  EXPECT_EQ(ReadFile(work_ / "input.txt"), "changed\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(work_ / "link")));  // links do not travel
  // An edit on the host reaches the next block; a file the container leaves alone keeps the
  // host's version.
  std::ofstream(work_ / "sub" / "out.txt") << "edited on the host\n";
  auto second = Run(executor, {{"sh", "cat sub/out.txt"}});
  EXPECT_EQ(second.output, "edited on the host\n");
  EXPECT_EQ(ReadFile(work_ / "sub" / "out.txt"), "edited on the host\n");
}

TEST_F(DockerRemoteTest, ATimeoutOverTcpKeepsPartialOutputAndItsFiles) {
  auto options = Options();
  options.docker_host = forwarder_->address();
  options.timeout = 1s;
  auto executor = Make(options);
  auto result = Run(executor, {{"sh", "echo before; echo partial > partial.txt; sleep 30"}});
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_EQ(result.output, "before\n\nTimeout");
  EXPECT_EQ(ReadFile(work_ / "partial.txt"), "partial\n");
}

TEST_F(DockerRemoteTest, BindWorkDirOffCopiesOnALocalDaemonToo) {
  auto options = Options();
  options.bind_work_dir = false;
  auto executor = Make(options);
  auto result = Run(executor, {{"python",
                                "import os\n"
                                "print(open('/proc/mounts').read().count(' /workspace '))\n"
                                "open('made.txt', 'w').write('copied out')"}});
  EXPECT_EQ(result.output, "0\n");
  EXPECT_EQ(ReadFile(work_ / "made.txt"), "copied out");
}

TEST_F(DockerRemoteTest, AStoppedExecutorOverTcpLeavesNoContainer) {
  auto options = Options();
  options.docker_host = forwarder_->address();
  {
    auto executor = Make(options);
    EXPECT_EQ(TestContainers().size(), 1u);
  }
  EXPECT_TRUE(TestContainers().empty());
}

}  // namespace
}  // namespace codeexec
