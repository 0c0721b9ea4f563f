#include "service/requests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::service {
namespace {

using ::testing::HasSubstr;

std::string Refusal(std::string_view body, bool for_session = false) {
  auto parsed = ParseExecuteRequest(body, for_session);
  EXPECT_FALSE(parsed) << body;
  if (parsed) return "";
  EXPECT_EQ(parsed.error().kind, ServiceErrorKind::kBadRequest);
  return parsed.error().message;
}

TEST(RequestsTest, AcceptsTheThreeFormsOfCode) {
  auto one = ParseExecuteRequest(R"j({"language": "python", "code": "print(1)"})j", false);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->blocks, (std::vector<CodeBlock>{{"python", "print(1)"}}));
  auto blocks = ParseExecuteRequest(
      R"j({"blocks": [{"language": "sh", "code": "echo a"}, {"language": "py", "code": "1"}]})j",
      false);
  ASSERT_TRUE(blocks);
  EXPECT_EQ(blocks->blocks.size(), 2u);
  auto message = ParseExecuteRequest(
      R"j({"message": "Run this:\n```bash\necho hi\n```\n", "timeout": 5})j", false);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->blocks, (std::vector<CodeBlock>{{"bash", "echo hi"}}));
  EXPECT_EQ(message->timeout_seconds, 5.0);
}

TEST(RequestsTest, SaysWhatIsWrong) {
  EXPECT_THAT(Refusal("{\"code\": "), HasSubstr("not valid JSON"));
  EXPECT_THAT(Refusal("[1]"), HasSubstr("JSON object"));
  EXPECT_THAT(Refusal(R"j({"code": "x"})j"), HasSubstr("'language'"));
  EXPECT_THAT(Refusal(R"j({"language": 3, "code": "x"})j"), HasSubstr("must be a string"));
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "timout": 3})j"),
              HasSubstr("unknown field 'timout'"));
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "timeout": "3"})j"),
              HasSubstr("number of seconds"));
  EXPECT_THAT(Refusal(R"j({"message": "no fence here"})j"), HasSubstr("no code block"));
  EXPECT_THAT(Refusal(R"j({"code": "x", "language": "py", "blocks": []})j"),
              HasSubstr("exactly one way"));
  EXPECT_THAT(Refusal(R"j({"blocks": [{"language": "py"}]})j"), HasSubstr("needs both"));
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "args": [1]})j"),
              HasSubstr("'args[0]' must be a string"));
}

TEST(RequestsTest, SessionsChooseTheirExecutorOnce) {
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "executor": "local"})j", true),
              HasSubstr("when the session is created"));
}

TEST(RequestsTest, DecodesFiles) {
  auto parsed = ParseExecuteRequest(
      R"j({"language": "py", "code": "x", "files": [
          {"path": "a.txt", "content": "héllo"},
          {"path": "b.bin", "content": "AAEC", "encoding": "base64"}],
          "fetch": ["out.png"], "stdin": "in", "args": ["-v"]})j",
      false);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->files.size(), 2u);
  EXPECT_EQ(parsed->files[0].bytes, "héllo");
  EXPECT_EQ(parsed->files[1].bytes, std::string("\0\1\2", 3));
  EXPECT_EQ(parsed->fetch, std::vector<std::string>{"out.png"});
  EXPECT_EQ(parsed->standard_input, "in");
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "files": [{"path": "a",
                          "content": "@@", "encoding": "base64"}]})j"),
              HasSubstr("not valid base64"));
  EXPECT_THAT(Refusal(R"j({"language": "py", "code": "x", "files": [{"path": "a",
                          "content": "00", "encoding": "hex"}]})j"),
              HasSubstr("\"utf8\" or \"base64\""));
}

TEST(RequestsTest, SessionRequests) {
  EXPECT_TRUE(ParseSessionRequest(""));
  auto parsed = ParseSessionRequest(R"j({"executor": "jupyter", "config": {"timeout": 5},
                                         "idle_timeout": 60})j");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->executor, "jupyter");
  EXPECT_EQ(parsed->idle_timeout_seconds, 60.0);
  EXPECT_FALSE(ParseSessionRequest(R"j({"executr": "x"})j"));
  EXPECT_FALSE(ParseSessionRequest(R"j({"config": 5})j"));
}

}  // namespace
}  // namespace codeexec::service
