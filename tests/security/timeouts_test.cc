// Timeouts that are not kept: out-of-range values used to overflow (a timeout of 1e10 seconds
// timed out at once; 1e300 was refused as "-9223372036854775808 ms"). Every executor refuses
// them with the same clear message, through its JSON configuration, its options and the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "codeexec/jupyter_executor.h"
#include "codeexec/local_executor.h"
#include "codeexec/registry.h"
#include "command.h"

namespace codeexec {
namespace {

using ::testing::HasSubstr;

TEST(Timeouts, OutOfRangeValuesAreRefusedByEveryExecutor) {
  for (const char* executor : {"local", "sandbox", "docker", "jupyter"}) {
    for (const char* timeout : {"1e10", "1e300", "-1", "2592001"}) {
      SCOPED_TRACE(std::string(executor) + " " + timeout);
      auto made =
          DefaultExecutorRegistry().Create(executor, std::string("{\"timeout\": ") + timeout + "}");
      ASSERT_FALSE(made);
      EXPECT_EQ(made.error().code(), ErrorCode::kInvalidArgument);
      EXPECT_THAT(made.error().message(),
                  HasSubstr("option 'timeout': expected a number of seconds from 0 to 2592000"));
    }
    auto short_one = DefaultExecutorRegistry().Create(executor, "{\"timeout\": 0.5}");
    ASSERT_FALSE(short_one);
    EXPECT_THAT(short_one.error().message(),
                HasSubstr("Timeout must be greater than or equal to 1 second"));
  }
}

TEST(Timeouts, OptionsPastThirtyDaysAreRefused) {
  LocalExecutorOptions local;
  local.timeout = std::chrono::hours(24 * 365 * 400);
  auto made = LocalCommandLineCodeExecutor::Create(local);
  ASSERT_FALSE(made);
  EXPECT_THAT(made.error().message(), HasSubstr("Timeout must be at most 2592000 seconds"));
  JupyterExecutorOptions jupyter;
  jupyter.timeout = local.timeout;
  auto kernel = JupyterCodeExecutor::Create(jupyter);
  ASSERT_FALSE(kernel);
  EXPECT_THAT(kernel.error().message(), HasSubstr("Timeout must be at most 2592000 seconds"));
}

TEST(Timeouts, TheCliSaysWhatIsWrongAndExitsWithTwo) {
  testing::TempDir dir("timeouts");
  std::ofstream(dir.path() / "m.md") << "```sh\necho hi\n```\n";
  for (const char* timeout : {"1e10", "1e300", "inf"}) {
    auto run = testing::RunCommand(
        {std::string(CODEEXEC_CLI), "run", "--timeout", timeout, (dir.path() / "m.md").string()});
    EXPECT_EQ(run.exit_code, 2) << timeout;
    EXPECT_THAT(run.stderr_text, HasSubstr("expected a number of seconds from 0 to 2592000"))
        << timeout;
    EXPECT_EQ(run.stdout_text, "");
  }
  auto fine = testing::RunCommand(
      {std::string(CODEEXEC_CLI), "run", "--timeout", "2592000", (dir.path() / "m.md").string()});
  EXPECT_EQ(fine.exit_code, 0) << fine.stderr_text;
  EXPECT_THAT(fine.stdout_text, HasSubstr("Code output: hi"));
}

}  // namespace
}  // namespace codeexec
