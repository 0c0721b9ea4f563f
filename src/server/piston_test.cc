#include "server/piston.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(PistonTest, TheFirstFileIsTheProgramAndTheOthersGoBesideIt) {
  auto request = PistonToExecuteRequest(json::parse(R"j({
      "language": "py", "version": "3.10.0",
      "files": [{"name": "main.py", "content": "import helper"},
                {"name": "helper.py", "content": "7072696e74283129", "encoding": "hex"}],
      "stdin": "", "args": ["1", "2"], "run_timeout": 3000, "compile_timeout": 10000,
      "run_memory_limit": -1})j"));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->blocks, (std::vector<CodeBlock>{{"python", "import helper"}}));
  ASSERT_EQ(request->files.size(), 1u);
  EXPECT_EQ(request->files[0].path, "helper.py");
  EXPECT_EQ(request->files[0].bytes, "print(1)");
  EXPECT_FALSE(request->standard_input);  // Piston's empty stdin is none
  EXPECT_EQ(request->args, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(request->timeout_seconds, 3.0);  // python compiles nothing
  EXPECT_TRUE(request->config.is_null());
}

TEST(PistonTest, CompiledLanguagesGetBothTimeoutsAndShortOnesTheMinimum) {
  auto c = PistonToExecuteRequest(json::parse(R"j({"language": "c", "files": [{"content": "x"}],
      "run_timeout": 2000, "compile_timeout": 5000, "run_memory_limit": 1048576})j"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->timeout_seconds, 7.0);
  EXPECT_EQ(c->config["memory_limit"], 1048576);
  auto quick = PistonToExecuteRequest(
      json::parse(R"j({"language": "bash", "files": [{"content": "x"}], "run_timeout": 50})j"));
  EXPECT_EQ(quick->timeout_seconds, 1.0);
}

TEST(PistonTest, RefusesWhatPistonRefuses) {
  EXPECT_THAT(PistonToExecuteRequest(json::parse(R"j({"language": "cobol", "version": "1",
                                                 "files": [{"content": "x"}]})j"))
                  .error()
                  .message,
              HasSubstr("cobol-1 runtime is unknown"));
  EXPECT_FALSE(PistonToExecuteRequest(json::parse(R"j({"language": "py", "files": []})j")));
  EXPECT_FALSE(PistonToExecuteRequest(
      json::parse(R"j({"language": "py", "files": [{"content": "x"}, {"content": "y"}]})j")));
}

TEST(PistonTest, RunStatusesFollowPiston) {
  CodeResult ok;
  ok.output = ok.stdout_text = "1\n";
  json run = PistonRun(ok);
  EXPECT_EQ(run["code"], 0);
  EXPECT_TRUE(run["status"].is_null());
  EXPECT_EQ(run["stdout"], "1\n");
  CodeResult failed;
  failed.exit_code = 3;
  failed.status = ExecutionStatus::kError;
  EXPECT_EQ(PistonRun(failed)["status"], "RE");
  CodeResult timeout;
  timeout.exit_code = 124;
  timeout.status = ExecutionStatus::kTimeout;
  run = PistonRun(timeout);
  EXPECT_EQ(run["status"], "TO");
  EXPECT_EQ(run["signal"], "SIGKILL");
  EXPECT_TRUE(run["code"].is_null());
}

}  // namespace
}  // namespace codeexec::server
