#include "codeexec/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec {
namespace {

// A minimal executor that echoes each block's code, to test the registry alone.
class EchoExecutor final : public CodeExecutor {
 public:
  explicit EchoExecutor(std::string config) : config_(std::move(config)) {}
  const std::string& config() const { return config_; }

 protected:
  Result<void> DoRestart() override { return {}; }
  Result<void> DoStop() override { return {}; }
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext&) override {
    CodeResult result;
    for (const auto& block : blocks) result.output += block.code;
    return result;
  }

 private:
  std::string config_;
};

ExecutorFactory EchoFactory() {
  return [](std::string_view config) -> Result<std::unique_ptr<CodeExecutor>> {
    return std::make_unique<EchoExecutor>(std::string(config));
  };
}

TEST(ExecutorRegistry, CreatesARegisteredExecutorWithItsConfig) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  auto executor = registry.Create("echo", R"({"x": 1})");
  ASSERT_TRUE(executor);
  EXPECT_EQ(static_cast<EchoExecutor&>(**executor).config(), R"({"x": 1})");
  auto result = (*executor)->ExecuteCodeBlocks({{"text", "a"}, {"text", "b"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "ab");
}

TEST(ExecutorRegistry, EmptyConfigMeansAnEmptyObject) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  auto executor = registry.Create("echo", "");
  ASSERT_TRUE(executor);
  EXPECT_EQ(static_cast<EchoExecutor&>(**executor).config(), "{}");
}

TEST(ExecutorRegistry, UnknownNameListsTheKnownOnes) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  auto executor = registry.Create("unknown");
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(executor.error().message(), "Unknown code executor 'unknown' (known: echo)");
}

TEST(ExecutorRegistry, RejectsDuplicatesAndEmptyNames) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  EXPECT_FALSE(registry.Register("echo", EchoFactory()));
  EXPECT_FALSE(registry.Register("", EchoFactory()));
  EXPECT_FALSE(registry.Register("none", ExecutorFactory()));
  EXPECT_EQ(registry.names(), std::vector<std::string>{"echo"});
}

TEST(ExecutorRegistry, AnAliasCreatesTheExecutorItStandsFor) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  ASSERT_TRUE(registry.RegisterAlias("commandline-echo", "echo"));
  auto executor = registry.Create("commandline-echo", R"({"y": 2})");
  ASSERT_TRUE(executor) << executor.error().ToString();
  EXPECT_EQ(static_cast<EchoExecutor&>(**executor).config(), R"({"y": 2})");
  EXPECT_EQ(registry.Resolve("commandline-echo").value(), "echo");
  EXPECT_EQ(registry.Resolve("echo").value(), "echo");
}

TEST(ExecutorRegistry, AliasesAreListedApartFromNames) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  ASSERT_TRUE(registry.RegisterAlias("b-echo", "echo"));
  ASSERT_TRUE(registry.RegisterAlias("a-echo", "echo"));
  EXPECT_EQ(registry.names(), std::vector<std::string>{"echo"});
  std::map<std::string, std::string> expected = {{"a-echo", "echo"}, {"b-echo", "echo"}};
  EXPECT_EQ(registry.aliases(), expected);
}

TEST(ExecutorRegistry, UnknownNameListsTheAliasesToo) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  ASSERT_TRUE(registry.RegisterAlias("commandline-echo", "echo"));
  auto resolved = registry.Resolve("unknown");
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(resolved.error().message(),
            "Unknown code executor 'unknown' (known: echo; aliases: commandline-echo = echo)");
  EXPECT_EQ(registry.Create("unknown").error().message(), resolved.error().message());
}

TEST(ExecutorRegistry, AliasesAndNamesNeverClash) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("echo", EchoFactory()));
  ASSERT_TRUE(registry.RegisterAlias("other", "echo"));
  EXPECT_FALSE(registry.RegisterAlias("other", "echo"));    // taken by an alias
  EXPECT_FALSE(registry.RegisterAlias("echo", "echo"));     // taken by a name
  EXPECT_FALSE(registry.Register("other", EchoFactory()));  // taken by an alias
  EXPECT_FALSE(registry.RegisterAlias("", "echo"));
  auto dangling = registry.RegisterAlias("x", "missing");  // only registered names
  ASSERT_FALSE(dangling);
  EXPECT_THAT(dangling.error().message(), ::testing::HasSubstr("register it first"));
  EXPECT_FALSE(registry.RegisterAlias("y", "other"));  // not an alias of an alias
}

TEST(ExecutorRegistry, AutoGensNamesAreAliasesOfTheExecutorsPresent) {
  ExecutorRegistry registry;
  ASSERT_TRUE(registry.Register("local", EchoFactory()));
  ASSERT_TRUE(registry.Register("jupyter", EchoFactory()));
  RegisterAutoGenAliases(registry);
  std::map<std::string, std::string> expected = {{"commandline-local", "local"},
                                                 {"ipython-embedded", "jupyter"},
                                                 {"jupyter-local", "jupyter"}};
  EXPECT_EQ(registry.aliases(), expected);  // no docker here, so no commandline-docker
  RegisterAutoGenAliases(registry);         // again: nothing changes
  EXPECT_EQ(registry.aliases(), expected);
}

TEST(ExecutorRegistry, DefaultExecutorExtractorFindsMarkdownBlocks) {
  EchoExecutor executor("{}");
  auto blocks = executor.code_extractor().ExtractCodeBlocks(std::string_view("```sh\necho\n```"));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].language, "sh");
}

}  // namespace
}  // namespace codeexec
