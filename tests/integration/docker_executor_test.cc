// DockerCommandLineCodeExecutor against a real daemon: blocks run in the container, files land in
// the host's work folder, timeouts and cancellation kill everything the block started, and no
// container outlives its executor.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "codeexec/registry.h"
#include "core/filename.h"
#include "docker_test_util.h"

namespace codeexec {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using ::testing::StartsWith;

// Each test runs twice: blocks through codeexec's runner (the default), and through the daemon's
// exec API (use_runner off), which must behave the same.
class DockerExecutorTest : public testing::DockerTest, public ::testing::WithParamInterface<bool> {
 protected:
  DockerExecutorOptions Options() override {
    auto options = DockerTest::Options();
    options.use_runner = GetParam();
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, DockerExecutorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Runner" : "ExecApi";
                         });

TEST_P(DockerExecutorTest, SeedScatterPlotMessageWritesThePngIntoTheHostWorkDir) {
  auto executor = Make();
  std::string message = ReadFile(CODEEXEC_SOURCE_DIR "/examples/scatter.md");
  auto blocks = executor.code_extractor().ExtractCodeBlocks(std::string_view(message));
  ASSERT_EQ(blocks.size(), 1u);
  auto result = Run(executor, blocks);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "Scatter plot saved to scatter.png\n");
  EXPECT_EQ(ReadFile(work_ / "scatter.png").substr(0, 8), "\x89PNG\r\n\x1a\n");
}

TEST_P(DockerExecutorTest, PythonAndShellBlocksRunInOrderInTheContainer) {
  auto executor = Make();
  auto result = Run(executor, {{"python", "import os; print('python in', os.getcwd())"},
                               {"bash", "echo bash in $(pwd) on $(cat /etc/debian_version)"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.status, ExecutionStatus::kOk);
  EXPECT_EQ(executor.uses_runner(), GetParam());
  EXPECT_THAT(result.output, StartsWith("python in /workspace\nbash in /workspace on 12."));
  ASSERT_TRUE(result.code_file);
  EXPECT_EQ(result.code_file->parent_path(), work_);
  EXPECT_TRUE(fs::exists(*result.code_file));
}

// The daemon forwards the two streams independently, so writes a moment apart keep their order
// (writes microseconds apart on different streams may not: see docker_executor.h).
TEST_P(DockerExecutorTest, StdoutAndStderrKeepTheirOrderAndStayApart) {
  auto executor = Make();
  auto result =
      Run(executor, {{"python",
                      "import sys, time\nprint('out 1')\ntime.sleep(0.05)\n"
                      "print('err', file=sys.stderr)\ntime.sleep(0.05)\nprint('out 2')"}});
  EXPECT_EQ(result.output, "out 1\nerr\nout 2\n");
  EXPECT_EQ(result.stdout_text, "out 1\nout 2\n");
  EXPECT_EQ(result.stderr_text, "err\n");
}

TEST_P(DockerExecutorTest, ExecutionStopsAtTheFirstFailingBlock) {
  auto executor = Make();
  auto result =
      Run(executor, {{"sh", "echo first"}, {"sh", "echo second; exit 3"}, {"sh", "echo third"}});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.status, ExecutionStatus::kError);
  EXPECT_EQ(result.output, "first\nsecond\n");
}

TEST_P(DockerExecutorTest, AFileNameOutsideTheWorkspaceIsRefused) {
  auto executor = Make();
  auto result = Run(executor, {{"python", "# filename: ../escape.py\nprint('escaped')"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.output, std::string(kNotInWorkspace));
  EXPECT_FALSE(fs::exists(work_.parent_path() / "escape.py"));
}

TEST_P(DockerExecutorTest, UnknownLanguageStopsExecution) {
  auto executor = Make();
  auto result = Run(executor, {{"sh", "echo before"}, {"klingon", "Qapla'"}, {"sh", "echo after"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.output, "before\n\nunknown language klingon");
}

TEST_P(DockerExecutorTest, ALanguageMissingFromTheImageIsASetupError) {
  auto executor = Make();
  auto result = Run(executor, {{"ruby", "puts 1"}});
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_EQ(result.status, ExecutionStatus::kSetupError);
  EXPECT_THAT(result.output, HasSubstr("cannot run ruby code"));
}

TEST_P(DockerExecutorTest, StandardInputIsEmpty) {
  auto executor = Make();
  auto result = Run(executor, {{"python", "import sys; print(repr(sys.stdin.read()))"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "''\n");
}

TEST_P(DockerExecutorTest, TimeoutKeepsPartialOutputAndKillsEverythingTheBlockStarted) {
  auto options = Options();
  options.timeout = 1s;
  auto executor = Make(options);
  // A detached grandchild in its own session too: the kill must not depend on process groups.
  auto result = Run(executor, {{"sh", "setsid sleep 300 & echo before; sleep 30; echo after"}});
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_EQ(result.status, ExecutionStatus::kTimeout);
  EXPECT_EQ(result.output, "before\n\nTimeout");
  EXPECT_THAT(ContainerProcesses(executor), Not(Contains("sleep")));
  // The container is still usable.
  EXPECT_EQ(Run(executor, {{"sh", "echo still here"}}).output, "still here\n");
}

TEST_P(DockerExecutorTest, CancellationKillsTheBlockAndKeepsItsOutput) {
  auto executor = Make();
  CancellationToken cancel;
  std::thread canceller([&] {
    // Cancel once the block has certainly started: its marker file appears on the host.
    for (int i = 0; i < 3000 && !fs::exists(work_ / "started"); ++i)
      std::this_thread::sleep_for(10ms);
    cancel.Cancel();
  });
  auto result = Run(executor, {{"sh", "echo working; touch started; sleep 60"}}, cancel);
  canceller.join();
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_EQ(result.status, ExecutionStatus::kCancelled);
  EXPECT_EQ(result.output, "working\n\nCancelled");
  EXPECT_THAT(ContainerProcesses(executor), Not(Contains("sleep")));
}

TEST_P(DockerExecutorTest, AnOutputFloodIsCapped) {
  auto options = Options();
  options.output_limit = 1000;
  auto executor = Make(options);
  auto result = Run(executor, {{"python", "print('x' * 4_000_000)\nprint('done')"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.status, ExecutionStatus::kOutputLimit);
  EXPECT_TRUE(result.truncated);
  EXPECT_LT(result.output.size(), 2000u);
  EXPECT_THAT(result.output, StartsWith(std::string(1000, 'x')));
}

TEST_P(DockerExecutorTest, RestartGivesAFreshContainerThatKeepsTheWorkDir) {
  auto executor = Make();
  EXPECT_EQ(Run(executor, {{"sh", "echo kept > note.txt; touch /tmp/gone"}}).exit_code, 0);
  std::string before = executor.container_id();
  ASSERT_TRUE(executor.Restart()) << "restart failed";
  EXPECT_NE(executor.container_id(), before);
  auto result = Run(executor, {{"sh", "cat note.txt; ls /tmp/gone 2>/dev/null || echo fresh"}});
  EXPECT_EQ(result.output, "kept\nfresh\n");
  EXPECT_EQ(TestContainers().size(), 1u);
}

TEST_P(DockerExecutorTest, StopRemovesTheContainerAndIsIdempotent) {
  auto executor = Make();
  EXPECT_EQ(TestContainers().size(), 1u);
  EXPECT_TRUE(executor.Stop());
  EXPECT_TRUE(executor.Stop());
  EXPECT_TRUE(TestContainers().empty());
  auto after = executor.ExecuteCodeBlocks({{"sh", "echo no"}});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_P(DockerExecutorTest, AnExecutorDestroyedWithoutStopLeavesNoContainer) {
  {
    auto executor = Make();
    EXPECT_EQ(Run(executor, {{"sh", "true"}}).exit_code, 0);
    EXPECT_EQ(TestContainers().size(), 1u);
  }
  EXPECT_TRUE(TestContainers().empty());
}

TEST_P(DockerExecutorTest, ATemporaryWorkDirIsRemovedAfterTheContainer) {
  auto options = Options();
  options.work_dir.clear();
  auto executor = Make(options);
  fs::path work = executor.work_dir();
  EXPECT_EQ(Run(executor, {{"sh", "echo hi > out.txt"}}).exit_code, 0);
  EXPECT_TRUE(fs::exists(work / "out.txt"));
  EXPECT_TRUE(executor.Stop());
  EXPECT_FALSE(fs::exists(work));
}

TEST_P(DockerExecutorTest, UserFunctionsCanBeImportedByBlocks) {
  auto options = Options();
  options.functions = {{"def add(a, b):\n    \"\"\"Adds.\"\"\"\n    return a + b\n", {}, {}}};
  auto executor = Make(options);
  auto result = Run(executor, {{"python", "from functions import add\nprint(add(2, 3))"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "5\n");
  EXPECT_TRUE(fs::exists(work_ / "functions.py"));
}

TEST_P(DockerExecutorTest, ProcessesABlockLeavesRunningDieWhenItEnds) {
  auto executor = Make();
  auto result = Run(executor, {{"sh", "sleep 300 & setsid sleep 301 & echo started"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "started\n");
  EXPECT_THAT(ContainerProcesses(executor), Not(Contains("sleep")));
}

TEST_P(DockerExecutorTest, AStepWhoseProgramIsMissingFailsClearly) {
  // A language whose tool is there but whose run step names a program the image lacks.
  auto options = Options();
  LanguageSpec broken;
  broken.name = "broken";
  broken.extension = "brk";
  broken.tools = {"sh"};
  broken.run = {"/usr/bin/codeexec-missing", "{file}"};
  ASSERT_TRUE(options.languages.Add(broken));
  auto executor = Make(options);
  auto result = Run(executor, {{"broken", "anything"}});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("/usr/bin/codeexec-missing"));
  if (GetParam()) {  // the runner reports it as such; through the exec API it is the daemon's text
    EXPECT_EQ(result.status, ExecutionStatus::kSetupError) << result.output;
    EXPECT_EQ(result.exit_code, 127);
    EXPECT_THAT(result.output, HasSubstr("cannot start /usr/bin/codeexec-missing"));
  }
}

TEST_P(DockerExecutorTest, TheRegistryBuildsItFromJson) {
  std::string config =
      fmt::format(R"({{"image": "{}", "work_dir": "{}", "labels": {{"{}": "{}"}},
                                       "timeout": 30, "output_limit": 100000}})",
                  testing::DockerTestImage(), work_.string(), kTestLabel, test_id_);
  config.insert(config.size() - 1, fmt::format(R"(, "use_runner": {})", GetParam()));
  auto executor = DefaultExecutorRegistry().Create("docker", config);
  ASSERT_TRUE(executor) << executor.error().ToString();
  auto result = (*executor)->ExecuteCodeBlocks({{"python", "print(6 * 7)"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "42\n");
}

}  // namespace
}  // namespace codeexec
