#include "core/json_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(JsonOptions, SecondsAcceptFractions) {
  EXPECT_EQ(*SecondsOption(json(2.5), "timeout"), std::chrono::milliseconds(2500));
  EXPECT_EQ(SecondsOption(json("5"), "timeout").error().message(),
            "option 'timeout': expected a number of seconds from 0 to 2592000 (30 days), got "
            "\"5\"");
}

TEST(JsonOptions, SecondsOutOfRangeAreRefusedBeforeAnyConversion) {
  for (double seconds : {1e10, 1e300, -1.0, 2592001.0}) {
    auto parsed = SecondsOption(json(seconds), "timeout");
    ASSERT_FALSE(parsed) << seconds;
    EXPECT_THAT(parsed.error().message(),
                HasSubstr("expected a number of seconds from 0 to 2592000 (30 days)"));
  }
  EXPECT_EQ(*SecondsOption(json(2592000), "timeout"), std::chrono::seconds(2592000));
}

TEST(JsonOptions, BytesAcceptNumbersAndDockerUnits) {
  EXPECT_EQ(*BytesOption(json(4096), "m"), 4096u);
  EXPECT_EQ(*BytesOption(json("512m"), "m"), 512ull << 20);
  EXPECT_EQ(*BytesOption(json("2G"), "m"), 2ull << 30);
  EXPECT_EQ(*BytesOption(json("64MiB"), "m"), 64ull << 20);
  EXPECT_THAT(BytesOption(json("lots"), "m").error().message(), HasSubstr("not a size"));
  EXPECT_FALSE(BytesOption(json(-1), "m"));
}

TEST(JsonOptions, Policies) {
  EXPECT_EQ(*PolicyOption(json("save"), "p"), ExecutionPolicy::kSave);
  EXPECT_EQ(*PolicyOption(json(true), "p"), ExecutionPolicy::kRun);
  EXPECT_FALSE(PolicyOption(json("maybe"), "p"));
}

TEST(JsonOptions, ForEachOptionReportsBadJsonAndWrongTypes) {
  std::vector<std::string> keys;
  auto collect = [&](const std::string& key, const json& value) -> Result<void> {
    if (key == "flag") (void)value.get<bool>();  // throws on a wrong type
    keys.push_back(key);
    return {};
  };
  EXPECT_TRUE(ForEachOption(R"({"a": 1, "b": 2})", "test", collect));
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(ForEachOption("", "test", collect));
  EXPECT_THAT(ForEachOption("{oops", "test", collect).error().message(),
              HasSubstr("bad test executor configuration"));
  EXPECT_THAT(ForEachOption("[1]", "test", collect).error().message(),
              HasSubstr("must be a JSON object"));
  EXPECT_THAT(ForEachOption(R"({"flag": "yes"})", "test", collect).error().message(),
              HasSubstr("bad test executor configuration"));
  EXPECT_EQ(UnknownOption("x", "a, b").value().message(),
            "option 'x': unknown option (known: a, b)");
}

}  // namespace
}  // namespace codeexec
