// `codeexec reply`, `codeexec chat` and the agent example, run as a user runs them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent_model_server.h"
#include "command.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Server = testing::ModelServer;

constexpr char kKey[] = "sk-cli-test-key-5f3a9c1e77";

class AgentCliTest : public ::testing::Test {
 protected:
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path path = temp_.path() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs `argv` with `input` on standard input.
  testing::CommandResult RunWithInput(std::vector<std::string> argv, const std::string& input,
                                      const std::map<std::string, std::string>& env = {}) {
    fs::path stdin_file = Write("stdin.txt", input);
    std::vector<std::string> shell = {"/bin/sh", "-c",
                                      "exec \"$0\" \"$@\" < " + stdin_file.string()};
    shell.insert(shell.end(), argv.begin(), argv.end());
    return testing::RunCommand(shell, temp_.path().string(), env);
  }

  std::vector<std::string> Reply(const fs::path& file, std::vector<std::string> more = {}) {
    std::vector<std::string> argv = {CODEEXEC_CLI, "reply", file.string(), "--work-dir",
                                     work_.string()};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  }

  testing::TempDir temp_{"agent-cli"};
  fs::path work_ = temp_.path() / "work";
};

TEST_F(AgentCliTest, ReplyShowsTheBannerOnStderrAndPrintsTheReply) {
  auto run = testing::RunCommand(Reply(Write("m.md", "Run:\n```sh\necho hello\n```\n")));
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: hello\n");
  // The banner, then the code's output as it ran.
  EXPECT_EQ(run.stderr_text,
            "\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is sh)...\nhello\n");
  auto quiet = testing::RunCommand(Reply(Write("q.md", "```sh\necho hello\n```\n"), {"-q"}));
  EXPECT_EQ(quiet.stderr_text, "\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is sh)...\n");
}

TEST_F(AgentCliTest, ReplyExitsWithTheCodesExitCode) {
  auto run = testing::RunCommand(Reply(Write("m.md", "```sh\necho bad\nexit 3\n```")));
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.stdout_text, "exitcode: 3 (execution failed)\nCode output: bad\n");
}

TEST_F(AgentCliTest, ReplyReadsAJsonConversationAndAutoSkipsCodeBeforeTheAgentSpoke) {
  fs::path file = Write("m.json", R"([
    {"role": "user", "content": "```sh\necho stale\n```"},
    {"role": "assistant", "content": "exitcode: 0 (execution succeeded)\nCode output: stale"},
    {"role": "user", "content": "thanks"}])");
  auto automatic = testing::RunCommand(Reply(file));
  EXPECT_EQ(automatic.exit_code, 1);
  EXPECT_EQ(automatic.stdout_text, "");
  EXPECT_THAT(automatic.stderr_text, HasSubstr("no code blocks found"));
  auto three = testing::RunCommand(Reply(file, {"--last-n-messages", "3"}));
  EXPECT_EQ(three.exit_code, 0) << three.stderr_text;
  EXPECT_EQ(three.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: stale\n");
}

TEST_F(AgentCliTest, ReplyRefusesABadLastNMessagesWithAutoGensWording) {
  auto run = testing::RunCommand(
      Reply(Write("m.md", "```sh\necho x\n```"), {"--last-n-messages", "hello world"}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.stderr_text,
            "codeexec: last_n_messages must be either a non-negative integer, or the string "
            "'auto'.\n");
}

TEST_F(AgentCliTest, ReplyAlwaysRunsOnAnEmptyAnswer) {
  auto run =
      RunWithInput(Reply(Write("m.md", "```sh\necho ran\n```"), {"--human-input", "always"}), "\n");
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: ran\n");
  EXPECT_THAT(run.stderr_text, HasSubstr("Provide feedback to the sender. Press enter to skip"));
  EXPECT_THAT(run.stderr_text, HasSubstr(">>>>>>>> NO HUMAN INPUT RECEIVED."));
  EXPECT_THAT(run.stderr_text, HasSubstr(">>>>>>>> USING AUTO REPLY..."));
}

TEST_F(AgentCliTest, ReplyAlwaysSendsTextInsteadOfRunning) {
  auto run =
      RunWithInput(Reply(Write("m.md", "```sh\ntouch ran.txt\n```"), {"--human-input", "always"}),
                   "please add comments\n");
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "please add comments\n");
  EXPECT_FALSE(fs::exists(work_ / "ran.txt"));
}

TEST_F(AgentCliTest, ReplyAlwaysExitRunsNothing) {
  auto run = RunWithInput(
      Reply(Write("m.md", "```sh\ntouch ran.txt\n```"), {"--human-input", "always"}), "exit\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stdout_text, "");
  EXPECT_THAT(run.stderr_text, HasSubstr("the human typed exit"));
  EXPECT_FALSE(fs::exists(work_ / "ran.txt"));
}

// AutoGen's code_execution_config, the seed's first: {"work_dir": "coding", "use_docker": false},
// relative to the current folder.
constexpr char kSeedConfig[] = R"({"work_dir": "coding", "use_docker": false})";

TEST_F(AgentCliTest, ReplyRunsAPythonBlockWithTheSeedsCodeExecutionConfig) {
  fs::path message = Write("m.md", "```python\n# filename: hello.py\nprint('hello', 6 * 7)\n```");
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "reply", message.string(), "--code-execution-config", kSeedConfig},
      temp_.path().string());
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: hello 42\n");
  EXPECT_EQ(run.stderr_text,
            "\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is python)...\nhello 42\n");
  EXPECT_TRUE(fs::exists(temp_.path() / "coding" / "hello.py"));
}

TEST_F(AgentCliTest, ReplyRunsTheSeedsScatterPlotWithItsCodeExecutionConfig) {
  bool ready =
      testing::RunCommand({"/usr/bin/python3", "-c", "import numpy, matplotlib"}).exit_code == 0;
  if (!ready) {
    if (testing::InCi()) FAIL() << "Debian's python3 with numpy and matplotlib is missing";
    GTEST_SKIP() << "needs /usr/bin/python3 with python3-numpy and python3-matplotlib";
  }
  // The legacy form names no interpreter: python3 on PATH, here Debian's.
  auto run = testing::RunCommand({CODEEXEC_CLI, "reply", CODEEXEC_SOURCE_DIR "/examples/scatter.md",
                                  "--code-execution-config", kSeedConfig},
                                 temp_.path().string(), {{"PATH", "/usr/bin:/bin"}});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text,
            "exitcode: 0 (execution succeeded)\nCode output: Scatter plot saved to scatter.png\n");
  EXPECT_TRUE(fs::exists(temp_.path() / "coding" / "scatter.png"));
}

TEST_F(AgentCliTest, ReplyReadsTheFactoryFormFromAFile) {
  fs::path config = Write("config.json", R"({"executor": "commandline-local",
      "commandline-local": {"work_dir": "factory", "timeout": 1}, "last_n_messages": 1})");
  fs::path file = Write("m.json", R"([
    {"role": "user", "content": "```sh\necho old > old.txt\n```"},
    {"role": "user", "content": "```sh\necho new > new.txt\nsleep 5\n```"}])");
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "reply", file.string(), "--code-execution-config", "@" + config.string()},
      temp_.path().string());
  EXPECT_EQ(run.exit_code, 124) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 124 (execution failed)\nCode output: \nTimeout\n");
  EXPECT_TRUE(fs::exists(temp_.path() / "factory" / "new.txt"));
  EXPECT_FALSE(fs::exists(temp_.path() / "factory" / "old.txt"));  // last_n_messages 1
}

TEST_F(AgentCliTest, ReplyRefusesAutoGensTopLevelKeysBesideAnExecutor) {
  auto refused = testing::RunCommand(
      {CODEEXEC_CLI, "reply", Write("m.md", "```sh\necho x\n```").string(),
       "--code-execution-config", R"({"executor": "commandline-local", "work_dir": "coding"})"},
      temp_.path().string());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.stderr_text,
            "codeexec: 'work_dir' in code_execution_config is not valid when 'executor' is set. "
            "Use the appropriate arg in the chosen executor instead.\n");
  EXPECT_FALSE(fs::exists(temp_.path() / "coding"));
}

TEST_F(AgentCliTest, ReplyWithCodeExecutionOffRunsNothingAndSaysSo) {
  auto run =
      testing::RunCommand({CODEEXEC_CLI, "reply", Write("m.md", "```sh\ntouch ran\n```").string(),
                           "--code-execution-config", "false"},
                          temp_.path().string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stdout_text, "");
  EXPECT_EQ(run.stderr_text,
            "codeexec: code execution is off (--code-execution-config false): no code was run\n");
  EXPECT_FALSE(fs::exists(temp_.path() / "ran"));
}

TEST_F(AgentCliTest, ReplyTakesEitherTheConfigOrTheExecutorFlags) {
  auto run = testing::RunCommand(
      Reply(Write("m.md", "```sh\necho x\n```"), {"--code-execution-config", kSeedConfig}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text,
              ::testing::ContainsRegex("--work-dir excludes --code-execution-config|"
                                       "--code-execution-config excludes --work-dir"));
}

TEST_F(AgentCliTest, RunAcceptsAutoGensExecutorNames) {
  auto run =
      testing::RunCommand({CODEEXEC_CLI, "run", "--executor", "commandline-local", "--work-dir",
                           work_.string(), Write("m.md", "```sh\necho aliased\n```").string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: aliased\n");
}

TEST_F(AgentCliTest, ChatTakesTheSeedsCodeExecutionConfig) {
  Server server({Server::Completion("```python\nprint(6 * 7)\n```"),
                 Server::Completion("The answer is 42.\nTERMINATE")});
  auto run =
      testing::RunCommand({CODEEXEC_CLI, "chat", "What is 6 * 7?", "--model", "m", "--base-url",
                           server.base_url(), "--code-execution-config", kSeedConfig},
                          temp_.path().string());
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stdout_text, HasSubstr("exitcode: 0 (execution succeeded)\nCode output: 42\n"));
  EXPECT_FALSE(fs::is_empty(temp_.path() / "coding"));
}

TEST_F(AgentCliTest, ChatPrintsTheConversationAndNeverTheKey) {
  Server server({Server::Completion("```sh\necho $((6 * 7))\n```"),
                 Server::Completion("The answer is 42.\nTERMINATE")});
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "chat", "What is 6 * 7?", "--model", "test-model", "--base-url",
       server.base_url(), "--api-key-env", "CODEEXEC_CLI_TEST_KEY", "--work-dir", work_.string()},
      temp_.path().string(), {{"CODEEXEC_CLI_TEST_KEY", kKey}});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  std::string rule(80, '-');
  EXPECT_EQ(run.stdout_text,
            "user_proxy (to assistant):\n\nWhat is 6 * 7?\n\n" + rule + "\n" +
                "assistant (to user_proxy):\n\n```sh\necho $((6 * 7))\n```\n\n" + rule + "\n" +
                "\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is sh)...\n" +
                "user_proxy (to assistant):\n\nexitcode: 0 (execution succeeded)\nCode output: "
                "42\n\n\n" +
                rule + "\n" + "assistant (to user_proxy):\n\nThe answer is 42.\nTERMINATE\n\n" +
                rule + "\n");
  // The code's output as it ran, on stderr, apart from the conversation.
  EXPECT_EQ(run.stderr_text, "42\ncodeexec: chat ended: termination message\n");
  EXPECT_EQ(server.requests()[0].headers["authorization"], std::string("Bearer ") + kKey);
  EXPECT_THAT(run.stdout_text + run.stderr_text, Not(HasSubstr(kKey)));
}

TEST_F(AgentCliTest, ChatReportsAFailingModelClearlyWithoutTheKey) {
  std::string echo = std::string(R"({"error": {"message": "bad key )") + kKey + R"("}})";
  Server server({Server::Status(503, echo), Server::Status(503, echo)});
  auto run = testing::RunCommand(
      {CODEEXEC_CLI, "chat", "hi", "--model", "m", "--base-url", server.base_url(), "--retries",
       "1", "--api-key-env", "CODEEXEC_CLI_TEST_KEY", "--work-dir", work_.string()},
      temp_.path().string(), {{"CODEEXEC_CLI_TEST_KEY", kKey}});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr("HTTP 503"));
  EXPECT_THAT(run.stderr_text, HasSubstr("after 2 attempts"));
  EXPECT_THAT(run.stdout_text + run.stderr_text, Not(HasSubstr(kKey)));
}

TEST_F(AgentCliTest, ChatNudgesAModelThatWroteNoCode) {
  Server server({Server::Completion("Probably 42."), Server::Completion("TERMINATE")});
  auto run = testing::RunCommand({CODEEXEC_CLI, "chat", "What is 6 * 7?", "--model", "m",
                                  "--base-url", server.base_url(), "--work-dir", work_.string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[1].json()["messages"].back()["content"].get<std::string>(),
              HasSubstr("If the task is done, reply TERMINATE"));
}

TEST_F(AgentCliTest, ChatNeedsAModel) {
  auto run = testing::RunCommand({CODEEXEC_CLI, "chat", "hi"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text, HasSubstr("--model"));
}

TEST_F(AgentCliTest, LocalAgentExampleRepliesToTheScatterPlotMessage) {
  constexpr char kPython[] = "/usr/bin/python3";
  bool ready = access(kPython, X_OK) == 0 &&
               testing::RunCommand({kPython, "-c", "import numpy, matplotlib"}).exit_code == 0;
  if (!ready) {
    if (testing::InCi()) FAIL() << "Debian's python3 with numpy and matplotlib is missing";
    GTEST_SKIP() << "needs /usr/bin/python3 with python3-numpy and python3-matplotlib";
  }
  auto run = RunWithInput({CODEEXEC_AGENT_LOCAL_EXAMPLE, work_.string(), kPython}, "\n");
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stdout_text, HasSubstr("\n>>>>>>>> NO HUMAN INPUT RECEIVED.\n"));
  EXPECT_THAT(run.stdout_text,
              HasSubstr("\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is python)...\n"));
  EXPECT_THAT(run.stdout_text, HasSubstr("exitcode: 0 (execution succeeded)\nCode output: "
                                         "Scatter plot saved to scatter.png\n"));
  EXPECT_TRUE(fs::exists(work_ / "scatter.png"));
}

}  // namespace
}  // namespace codeexec
