// The docker executor's configuration errors, which are found before any daemon is contacted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codeexec/docker_executor.h"

namespace codeexec {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view config) {
  auto executor = DockerCommandLineCodeExecutor::FromJson(config);
  EXPECT_FALSE(executor);
  if (executor) return "";
  EXPECT_EQ(executor.error().code(), ErrorCode::kInvalidArgument) << executor.error().message();
  return executor.error().message();
}

TEST(DockerConfigTest, UnknownKeysAreRejectedWithTheKnownOnes) {
  EXPECT_THAT(ErrorOf(R"({"imagee": "x"})"), HasSubstr("unknown option (known: timeout,"));
  EXPECT_THAT(ErrorOf(R"({"imagee": "x"})"), HasSubstr(", image, docker_host,"));
}

TEST(DockerConfigTest, BadValuesAreRejected) {
  EXPECT_THAT(ErrorOf(R"({"timeout": "long"})"), HasSubstr("number of seconds"));
  EXPECT_THAT(ErrorOf(R"({"timeout": 0.5})"), HasSubstr("Timeout must be greater"));
  EXPECT_THAT(ErrorOf(R"({"memory_limit": "lots"})"), HasSubstr("not a size"));
  EXPECT_THAT(ErrorOf(R"({"memory_limit": "1k"})"), HasSubstr("at least 6 MiB"));
  EXPECT_THAT(ErrorOf(R"({"image": ""})"), HasSubstr("needs an image"));
  EXPECT_THAT(ErrorOf(R"({"extra_volumes": ["/data"]})"), HasSubstr("HOST:CONTAINER"));
  EXPECT_THAT(ErrorOf(R"({"auto_remove": "yes"})"), HasSubstr("bad docker executor"));
  EXPECT_THAT(ErrorOf(R"({"docker_host": "ssh://me@1.2.3.4"})"), HasSubstr("not supported"));
  EXPECT_THAT(ErrorOf(R"({"warm_pool": -1})"), HasSubstr("number of containers"));
  EXPECT_THAT(ErrorOf(R"({"warm_pool": 2, "auto_remove": false})"), HasSubstr("warm_pool needs"));
  EXPECT_THAT(ErrorOf(R"({"functions": [{"code": "def f(): pass"}]})"),
              HasSubstr("\"source\" string"));
  EXPECT_THAT(ErrorOf(R"({"execution_policies": {"klingon": "run"}})"),
              HasSubstr("unknown language"));
  EXPECT_THAT(ErrorOf(R"({"ulimits": {"nofile": -1}})"), HasSubstr("not negative"));
  EXPECT_THAT(ErrorOf(R"({"ulimits": {"nofile": "many"}})"), HasSubstr("bad docker executor"));
  EXPECT_THAT(ErrorOf(R"({"tmpfs": {"tmp": "size=1m"}})"), HasSubstr("must be absolute"));
  EXPECT_THAT(ErrorOf("[]"), HasSubstr("JSON object"));
}

TEST(DockerConfigTest, HardeningOptionsAreChecked) {
  EXPECT_THAT(ErrorOf(R"({"cap_add": ["NET_RAW", "FLY"]})"),
              HasSubstr("'FLY' is not a Linux capability"));
  EXPECT_THAT(ErrorOf(R"({"cap_add": ["ALL"]})"), HasSubstr("name each one"));
  EXPECT_THAT(ErrorOf(R"({"cap_add": "NET_RAW"})"), HasSubstr("bad docker executor"));
  EXPECT_THAT(ErrorOf(R"({"work_dir_size_limit": "1k"})"), HasSubstr("at least 1 MiB"));
  EXPECT_THAT(ErrorOf(R"({"work_dir_size_limit": "lots"})"), HasSubstr("not a size"));
  EXPECT_THAT(ErrorOf(R"({"work_dir_file_limit": 3})"), HasSubstr("at least 16"));
  EXPECT_THAT(ErrorOf(R"({"work_dir_file_limit": -1})"), HasSubstr("number of files"));
  EXPECT_THAT(ErrorOf(R"({"work_dir_size_limit": "64m", "bind_work_dir": true})"),
              HasSubstr("need the work folder copied"));
  EXPECT_THAT(ErrorOf(R"({"tmpfs": {"/workspace": "size=1m"}})"),
              HasSubstr("set work_dir_size_limit"));
}

}  // namespace
}  // namespace codeexec
