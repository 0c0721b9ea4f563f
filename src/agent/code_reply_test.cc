#include "agent/code_reply.h"

#include <gtest/gtest.h>

#include "codeexec/reply.h"

namespace codeexec::agent {
namespace {

Message User(std::string text) { return {"user", std::move(text), ""}; }
Message Assistant(std::string text) { return {"assistant", std::move(text), ""}; }

TEST(CodeReplyTest, LastNMessagesAcceptsCountsAndAutoOnly) {
  EXPECT_TRUE(ValidateLastNMessages(0));
  EXPECT_TRUE(ValidateLastNMessages(3));
  EXPECT_TRUE(ValidateLastNMessages(std::string("auto")));
  for (const LastNMessages& bad : {LastNMessages(-1), LastNMessages(std::string("hello world")),
                                   LastNMessages(std::string("AUTO"))}) {
    auto valid = ValidateLastNMessages(bad);
    ASSERT_FALSE(valid);
    EXPECT_EQ(valid.error().message(),
              "last_n_messages must be either a non-negative integer, or the string 'auto'.");
  }
}

TEST(CodeReplyTest, ParseLastNMessagesFromText) {
  EXPECT_EQ(ParseLastNMessages("auto").value(), LastNMessages(std::string("auto")));
  EXPECT_EQ(ParseLastNMessages("3").value(), LastNMessages(3));
  for (const char* bad : {"-1", "hello world", "3x", ""}) {
    auto parsed = ParseLastNMessages(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(CodeReplyTest, AutoCountsTheTrailingUserMessages) {
  std::vector<Message> messages = {User("a"), Assistant("b"), User("c"), User("d")};
  EXPECT_EQ(MessagesToScan(messages, std::string("auto")), 2u);
  messages.push_back(Assistant("e"));
  EXPECT_EQ(MessagesToScan(messages, std::string("auto")), 0u);
  EXPECT_EQ(MessagesToScan(messages, 3), 3u);
  EXPECT_EQ(MessagesToScan(messages, 99), messages.size());
}

TEST(CodeReplyTest, NewestMessageWithCodeWinsAndEmptyOnesAreSkipped) {
  MarkdownCodeExtractor extractor;
  std::vector<Message> messages = {User("```sh\necho old\n```"), User("```sh\necho new\n```"),
                                   User("no code here"), User("")};
  auto blocks = FindCodeToExecute(messages, 4, extractor);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].code, "echo new");
  EXPECT_TRUE(FindCodeToExecute(messages, 2, extractor).empty());
  EXPECT_TRUE(FindCodeToExecute(messages, 0, extractor).empty());
}

TEST(CodeReplyTest, BannerNamesTheInferredLanguages) {
  EXPECT_EQ(ExecutionBanner({{"python", "print(1)"}}),
            ">>>>>>>> EXECUTING CODE BLOCK (inferred language is python)...");
  EXPECT_EQ(ExecutionBanner({{"python", "print(1)"}, {"sh", "ls"}}),
            ">>>>>>>> EXECUTING 2 CODE BLOCKS (inferred languages are [python, sh])...");
}

TEST(CodeReplyTest, FencedBlocksAndRefusal) {
  EXPECT_EQ(FenceBlocks({{"python", "print(1)"}, {"sh", "ls"}}),
            "```python\nprint(1)\n```\n\n```sh\nls\n```");
  EXPECT_EQ(FormatReply(NotApprovedResult("too risky")),
            "exitcode: 1 (execution failed)\nCode output: Code execution was not approved. "
            "Reason: too risky");
}

}  // namespace
}  // namespace codeexec::agent
