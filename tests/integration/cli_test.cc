// The `codeexec` command line: replies, exit statuses, JSON, usage errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliTest : public ::testing::Test {
 protected:
  std::string Message(const std::string& text) {
    fs::path file = dir_ / ("message" + std::to_string(messages_++) + ".md");
    std::ofstream(file) << text;
    return file.string();
  }

  testing::CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), CODEEXEC_CLI);
    return testing::RunCommand(args, dir_.string());
  }

  testing::TempDir temp_{"cli"};
  fs::path dir_ = temp_.path();
  int messages_ = 0;
};

TEST_F(CliTest, RunPrintsTheReplyAndExitsWithTheCodesStatus) {
  auto run = Cli({"run", Message("Try this:\n```sh\necho hi\nexit 3\n```\n")});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.stdout_text, "exitcode: 3 (execution failed)\nCode output: hi\n");
}

TEST_F(CliTest, RunReadsStandardInput) {
  std::string file = Message("```python\nprint('from stdin')\n```");
  auto run = testing::RunCommand({"/bin/sh", "-c", std::string(CODEEXEC_CLI) + " run - < " + file},
                                 dir_.string());
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "exitcode: 0 (execution succeeded)\nCode output: from stdin\n");
}

TEST_F(CliTest, JsonCarriesEveryResultField) {
  fs::path work = dir_ / "work";
  auto run = Cli({"run", "--json", "--work-dir", work.string(),
                  Message("```python\n# filename: j.py\nimport sys\nprint('o')\n"
                          "print('e', file=sys.stderr)\n```")});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  auto json = nlohmann::json::parse(run.stdout_text);
  EXPECT_EQ(json["exit_code"], 0);
  EXPECT_EQ(json["status"], "ok");
  EXPECT_EQ(json["output"], "o\ne\n");
  EXPECT_EQ(json["stdout"], "o\n");
  EXPECT_EQ(json["stderr"], "e\n");
  EXPECT_EQ(json["code_file"], (fs::canonical(work) / "j.py").string());
  EXPECT_TRUE(json["output_files"].is_array());
  EXPECT_TRUE(json["duration_ms"].is_number());
  EXPECT_EQ(json["truncated"], false);
}

TEST_F(CliTest, TimeoutAndOutputLimitFlags) {
  auto timed_out = Cli({"run", "--timeout", "1", Message("```sh\necho early\nsleep 30\n```")});
  EXPECT_EQ(timed_out.exit_code, 124);
  EXPECT_EQ(timed_out.stdout_text,
            "exitcode: 124 (execution failed)\nCode output: early\n\nTimeout\n");
  auto limited = Cli({"run", "--output-limit", "5", Message("```sh\necho 0123456789\n```")});
  EXPECT_EQ(limited.exit_code, 0);
  EXPECT_THAT(limited.stdout_text, HasSubstr("01234\n[output truncated: 11 bytes printed"));
}

// The code's output reaches stderr while the code still runs: the block waits (at most 10 s) for
// a file the shell creates only once "first" shows up in the CLI's stderr.
TEST_F(CliTest, RunShowsTheOutputOnStderrAsItComes) {
  fs::path work = dir_ / "live";
  std::string script =
      std::string(CODEEXEC_CLI) + " run --work-dir " + work.string() + " " +
      Message(
          "```sh\necho first\ni=0\nwhile [ ! -e go ] && [ $i -lt 100 ]; do sleep 0.1; "
          "i=$((i+1)); done\ntest -e go && echo released\n```") +
      " 2>err & pid=$!; i=0; while ! grep -q first err 2>/dev/null && [ $i -lt 100 ]; do "
      "sleep 0.1; i=$((i+1)); done; touch " +
      (work / "go").string() + "; wait $pid; echo \"status $?\"; cat err";
  fs::create_directory(work);
  auto run = testing::RunCommand({"/bin/sh", "-c", script}, dir_.string());
  EXPECT_EQ(run.stdout_text,
            "exitcode: 0 (execution succeeded)\nCode output: first\nreleased\nstatus 0\n"
            "first\nreleased\n");
}

TEST_F(CliTest, QuietKeepsStderrForErrorsOnly) {
  auto run = Cli({"run", "-q", Message("```sh\necho out; echo err >&2\n```")});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.stderr_text, "");
  EXPECT_THAT(run.stdout_text, HasSubstr("out\n"));
}

TEST_F(CliTest, NdjsonPrintsEveryEventThenTheResult) {
  auto run =
      Cli({"run", "--ndjson", Message("```sh\necho one\n```\n```sh\necho two\nexit 4\n```\n")});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(run.stderr_text, "");
  std::vector<nlohmann::json> lines;
  std::istringstream in(run.stdout_text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  std::vector<std::string> types;
  std::string stdout_text;
  for (const auto& line : lines) {
    types.push_back(line["type"]);
    if (line["type"] == "stdout") stdout_text += line["text"].get<std::string>();
  }
  EXPECT_EQ(types, (std::vector<std::string>{"block_start", "stdout", "block_end", "block_start",
                                             "stdout", "block_end", "result"}));
  EXPECT_EQ(lines[0]["block"], 0);
  EXPECT_EQ(lines[0]["language"], "sh");
  EXPECT_EQ(lines[2]["exit_code"], 0);
  EXPECT_EQ(lines[3]["block"], 1);
  EXPECT_EQ(lines[5]["exit_code"], 4);
  EXPECT_EQ(lines[5]["status"], "error");
  EXPECT_TRUE(lines[5]["duration_ms"].is_number());
  const nlohmann::json& result = lines.back();
  EXPECT_EQ(result["exit_code"], 4);
  EXPECT_EQ(result["stdout"], stdout_text);
  EXPECT_EQ(result["blocks"].size(), 2u);

  auto both = Cli({"run", "--ndjson", "--json", Message("```sh\necho\n```")});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.stderr_text, HasSubstr("excludes"));
}

TEST_F(CliTest, TemporaryWorkFolderIsRemovedAfterTheRun) {
  auto run = Cli({"run", "--json", Message("```sh\npwd\n```")});
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  std::string printed = nlohmann::json::parse(run.stdout_text)["stdout"];
  fs::path work = printed.substr(0, printed.size() - 1);
  EXPECT_THAT(work.filename().string(), StartsWith("codeexec-"));
  EXPECT_FALSE(fs::exists(work));
}

TEST_F(CliTest, InterruptCancelsTheCodeAndKillsItsProcesses) {
  std::string script =
      std::string(CODEEXEC_CLI) + " run --work-dir " + dir_.string() + " " +
      Message("```sh\nsleep 100 & echo $! > bg.pid\necho started\nsleep 100\n```") +
      " & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo \"status $?\"";
  auto run = testing::RunCommand({"/bin/sh", "-c", script}, dir_.string());
  EXPECT_EQ(run.stdout_text,
            "exitcode: 125 (execution failed)\nCode output: started\n\nCancelled\nstatus 125\n");
  std::ifstream pid_file(dir_ / "bg.pid");
  pid_t pid = 0;
  ASSERT_TRUE(pid_file >> pid);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string id, comm, state;
  EXPECT_TRUE(!(stat >> id >> comm >> state) || state == "Z") << "background sleep survived";
}

// Impatient users press Ctrl-C again while codeexec cleans up: the later signals must not cut the
// clean-up short and leave the temporary work folder behind.
TEST_F(CliTest, RepeatedInterruptsStillLeaveNoTemporaryFolder) {
  std::string script =
      std::string(CODEEXEC_CLI) + " run " +
      Message("```sh\npwd > " + (dir_ / "work").string() + "\necho started\nsleep 100\n```") +
      " & pid=$!; sleep 1; i=0; while [ $i -lt 20000 ] && kill -INT $pid 2>/dev/null; do "
      "i=$((i + 1)); done; wait $pid; echo \"status $?\"";
  auto run = testing::RunCommand({"/bin/sh", "-c", script}, dir_.string());
  EXPECT_THAT(run.stdout_text, HasSubstr("Cancelled\nstatus 125\n")) << run.stderr_text;
  std::ifstream printed(dir_ / "work");
  std::string work;
  ASSERT_TRUE(std::getline(printed, work));
  EXPECT_THAT(fs::path(work).filename().string(), StartsWith("codeexec-"));
  EXPECT_FALSE(fs::exists(work)) << "the temporary work folder was left behind";
}

TEST_F(CliTest, MessageWithoutCodeSaysSo) {
  auto run = Cli({"run", Message("Just words, no code.")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stdout_text, "");
  EXPECT_THAT(run.stderr_text, HasSubstr("no code blocks found"));
}

TEST_F(CliTest, UsageErrorsExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::string file = Message("```sh\necho\n```");
  for (const Case& c : std::vector<Case>{
           {{"run", "/no/such/message.md"}, "cannot read the message file /no/such/message.md"},
           {{"run", "--timeout", "0.5", file}, "Timeout must be greater than or equal to 1"},
           {{"run", "--executor", "nope", file}, "Unknown code executor 'nope' (known: "},
           {{"run", "--config", "{bad", file}, "--config is not valid JSON"},
           {{"run", "--config", R"({"colour": 1})", file}, "option 'colour': unknown option"},
           {{"run", "--bogus-flag", file}, "bogus-flag"},
           {{}, "A subcommand is required"},
       }) {
    auto run = Cli(c.args);
    EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(c.args);
    EXPECT_THAT(run.stderr_text, HasSubstr(c.message)) << ::testing::PrintToString(c.args);
  }
}

TEST_F(CliTest, JupyterFlagsChooseTheKernelAndTheOutputFolder) {
  fs::path out = dir_ / "plots";
  fs::create_directory(out);
  auto run =
      Cli({"run", "--executor", "jupyter", "--kernel", "python3", "--output-dir", out.string(),
           Message("```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n"
                   "plt.show()\n```")});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stdout_text, HasSubstr("Image data saved to " + out.string() + "/"));
  bool png = false;
  for (const auto& entry : fs::directory_iterator(out)) png |= entry.path().extension() == ".png";
  EXPECT_TRUE(png);
  auto unknown =
      Cli({"run", "--executor", "jupyter", "--kernel", "klingon", Message("```python\n1\n```")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("Kernel klingon is not installed."));
}

TEST_F(CliTest, LanguagesListsTheTable) {
  auto table = Cli({"languages"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.stdout_text, StartsWith("LANGUAGE"));
  EXPECT_THAT(table.stdout_text, HasSubstr("save only"));
  // Every row's columns start where the header's do, whatever the number of aliases.
  std::istringstream lines(table.stdout_text);
  std::string header;
  std::getline(lines, header);
  std::size_t ext = header.find("EXT"), runs = header.find("RUNS WITH");
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GT(line.size(), runs) << line;
    EXPECT_TRUE(line[ext - 1] == ' ' && line[ext] != ' ') << "EXT misaligned: " << line;
    EXPECT_TRUE(line[runs - 1] == ' ' && line[runs] != ' ') << "RUNS WITH misaligned: " << line;
  }
  EXPECT_THAT(table.stdout_text, HasSubstr("python       py, python3                py     "));
  auto json = nlohmann::json::parse(Cli({"languages", "--json"}).stdout_text);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& row : json) by_name[row["name"]] = row;
  EXPECT_EQ(by_name.at("sh")["available"], true);
  EXPECT_EQ(by_name.at("html")["policy"], "save");
  EXPECT_EQ(by_name.at("python")["aliases"], nlohmann::json({"py", "python3"}));
}

TEST_F(CliTest, HelpDescribesTheCommands) {
  auto help = Cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("run"));
  EXPECT_THAT(help.stdout_text, HasSubstr("languages"));
  auto run_help = Cli({"run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_THAT(run_help.stdout_text, HasSubstr("--timeout"));
}

}  // namespace
}  // namespace codeexec
