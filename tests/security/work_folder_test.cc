// The executors against code that lays traps in the work folder it shares with them: links and
// FIFOs where the executor will write, read, compare or delete next, swapped in before a run or
// while another run of the same executor is between its steps. The executor must never follow
// them out of the folder nor stall on them, and the folder beside the work folder stays as it
// was (host_snapshot.h). Run against the local executor (whose code could do anything anyway,
// but whose own file operations must not be turned against the host) and the sandbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "codeexec/local_executor.h"
#include "codeexec/sandbox_executor.h"
#include "command.h"
#include "host_snapshot.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

enum class Kind { kLocal, kSandbox };

class WorkFolderTrapTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kSandbox && geteuid() != 0) {
      if (testing::InCi()) FAIL() << "the sandbox tests need root, and CI runs as root";
      GTEST_SKIP() << "the sandbox needs root";
    }
    fs::create_directories(work());
    guard_.emplace(beside());
  }
  void TearDown() override {
    if (guard_) {
      EXPECT_EQ(guard_->Changes(), "") << "a file beside the work folder changed";
    }
  }
  fs::path work() const { return root_.path() / "work"; }
  fs::path beside() const { return root_.path() / "beside"; }

  std::unique_ptr<CodeExecutor> Make(bool cleanup = false) {
    auto configure = [&](CommandLineOptions& options) {
      options.work_dir = work();
      options.timeout = std::chrono::seconds(5);
      options.cleanup_code_files = cleanup;
    };
    if (GetParam() == Kind::kLocal) {
      LocalExecutorOptions options;
      configure(options);
      auto made = LocalCommandLineCodeExecutor::Create(options);
      EXPECT_TRUE(made) << made.error().ToString();
      return made ? std::make_unique<LocalCommandLineCodeExecutor>(std::move(*made)) : nullptr;
    }
    SandboxExecutorOptions options;
    configure(options);
    auto made = SandboxExecutor::Create(std::move(options));
    EXPECT_TRUE(made) << made.error().ToString();
    return made ? std::make_unique<SandboxExecutor>(std::move(*made)) : nullptr;
  }
  static CodeResult Run(CodeExecutor& executor, std::vector<CodeBlock> blocks) {
    auto result = executor.ExecuteCodeBlocks(blocks);
    EXPECT_TRUE(result) << result.error().ToString();
    return result ? *result : CodeResult{};
  }

  testing::TempDir root_{"traps"};
  std::optional<testing::GuardedHost> guard_;
};

// The case: a block renames its own sub-folder and leaves a link to a host folder in its
// place; deleting the block's file afterwards must not delete the host's file of that name.
TEST_P(WorkFolderTrapTest, CleanupNeverDeletesThroughALinkedSubFolder) {
  auto executor = Make(/*cleanup=*/true);
  ASSERT_TRUE(executor);
  auto result = Run(*executor, {{"sh", "# filename: sub/run.sh\nmv sub sub.old && ln -s " +
                                           beside().string() + " sub && echo swapped"}});
  EXPECT_EQ(result.output, "swapped\n");
  // TearDown: beside/run.sh is still there.
}

// A link planted under the next block's file name, or on its way, is refused as outside the
// workspace: nothing is written through it.
TEST_P(WorkFolderTrapTest, LinksWhereTheNextFileGoesAreNeverWrittenThrough) {
  auto executor = Make();
  ASSERT_TRUE(executor);
  auto plant = Run(*executor, {{"sh", "ln -s " + beside().string() + " sub; ln -s " +
                                          (beside() / "x.py").string() + " x.py; echo planted"}});
  ASSERT_EQ(plant.output, "planted\n");
  for (std::string name : {"sub/x.py", "x.py"}) {
    auto result = Run(*executor, {{"python", "# filename: " + name + "\nprint('pwned')"}});
    EXPECT_EQ(result.output, "Filename is not in the workspace") << name;
  }
}

// A FIFO where the next block's file goes (the comparison of its contents opened it and waited
// for a writer that never came): the next block runs, well within its timeout.
TEST_P(WorkFolderTrapTest, AFifoWhereTheNextFileGoesDoesNotStallTheExecutor) {
  auto executor = Make();
  ASSERT_TRUE(executor);
  std::string code = "print('ran')";
  // The local executor's code can make FIFOs; the sandbox refuses mknod, so the host plants one.
  auto name = Run(*executor, {{"python", "import glob, os\nprint(glob.glob('tmp_code_*')[0])"}});
  std::string file = name.stdout_text.substr(0, name.stdout_text.find('\n'));
  ASSERT_FALSE(file.empty());
  fs::remove(work() / file);
  ASSERT_EQ(mkfifo((work() / file).c_str(), 0644), 0);
  auto start = std::chrono::steady_clock::now();
  auto result = Run(*executor, {{"python", "import glob, os\nprint(glob.glob('tmp_code_*')[0])"}});
  EXPECT_EQ(result.stdout_text, file + "\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_TRUE(fs::is_regular_file(work() / file));
}

// The run log replaced by a link to a host file (or a FIFO, or a folder): later runs work, the
// host file is untouched, and the log is a fresh regular file again.
TEST_P(WorkFolderTrapTest, ATamperedRunLogIsReplacedNotWrittenThrough) {
  auto executor = Make();
  ASSERT_TRUE(executor);
  for (const std::string& trap :
       std::vector<std::string>{"ln -s " + (beside() / "x.py").string() + " codeexec-runs.jsonl",
                                "mkdir codeexec-runs.jsonl"}) {
    SCOPED_TRACE(trap);
    auto planted = Run(*executor, {{"sh", "rm -rf codeexec-runs.jsonl; " + trap + "; echo ok"}});
    EXPECT_EQ(planted.output, "ok\n");
    auto later = Run(*executor, {{"sh", "echo later"}});
    EXPECT_EQ(later.output, "later\n");
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(work() / "codeexec-runs.jsonl")));
  }
}

// Two runs sharing the work folder: one keeps swapping a sub-folder for a link to the host
// while the other keeps writing its file into that sub-folder. The file never lands outside.
TEST_P(WorkFolderTrapTest, ASubFolderSwappedDuringAnotherRunNeverRedirectsItsFile) {
  auto executor = Make();
  ASSERT_TRUE(executor);
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    auto result = executor->ExecuteCodeBlocks(
        {{"sh",
          "end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do mkdir -p sub; "
          "mv sub sub.$$ 2>/dev/null; ln -sfn " +
              beside().string() + " sub; rm -f sub; rm -rf sub.$$; done; echo swapped"}});
    EXPECT_TRUE(result);
    done = true;
  });
  int runs = 0;
  while (!done && runs < 200) {
    (void)executor->ExecuteCodeBlocks(
        {{"python", "# filename: sub/victim.py\nprint(" + std::to_string(runs++) + ")"}});
  }
  swapper.join();
  EXPECT_GT(runs, 0);
  EXPECT_FALSE(fs::exists(beside() / "victim.py"));
}

INSTANTIATE_TEST_SUITE_P(Executors, WorkFolderTrapTest,
                         ::testing::Values(Kind::kLocal, Kind::kSandbox),
                         [](const ::testing::TestParamInfo<Kind>& param) {
                           return std::string(param.param == Kind::kLocal ? "Local" : "Sandbox");
                         });

}  // namespace
}  // namespace codeexec
