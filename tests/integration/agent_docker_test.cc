// The code-executing agent with the Docker executor: created by name through the registry (any
// registered executor works), and the seed's Docker example (examples/agent_docker.cc). Needs a
// daemon and the test image (scripts/test.sh provides both; elsewhere the tests skip).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "codeexec/agent.h"
#include "codeexec/code_execution_config.h"
#include "codeexec/registry.h"
#include "docker_test_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class AgentDockerTest : public testing::DockerTest {};

TEST_F(AgentDockerTest, TheAgentRunsCodeInAContainerFromTheRegistry) {
  nlohmann::json config = {{"image", testing::DockerTestImage()},
                           {"work_dir", work_.string()},
                           {"labels", {{kTestLabel, test_id_}}}};
  auto executor = DefaultExecutorRegistry().Create("docker", config.dump());
  ASSERT_TRUE(executor) << executor.error().ToString();
  std::vector<std::string> shown;
  auto agent = CodeExecutorAgent::Create(
      {.human_input_mode = HumanInputMode::kNever,
       .on_event = [&](const AgentEvent& event) { shown.push_back(event.text); }},
      std::move(*executor));
  ASSERT_TRUE(agent) << agent.error().ToString();
  std::vector<Message> messages = {
      {"user", std::string("```sh\ntest -f /.dockerenv && echo in a container\n```"), ""}};
  auto reply = (*agent)->GenerateReply(messages);
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->text, "exitcode: 0 (execution succeeded)\nCode output: in a container\n");
  EXPECT_THAT(shown, ElementsAre(">>>>>>>> EXECUTING CODE BLOCK (inferred language is sh)..."));
  agent->reset();  // the agent owns the executor: its destruction removes the container
  EXPECT_TRUE(TestContainers().empty());
}

// The reply of an agent made from AutoGen's code_execution_config `json` to a block that says
// where it runs.
std::string ReplyFromConfig(const nlohmann::json& json) {
  auto config = ParseCodeExecutionConfig(json.dump());
  if (!config) return config.error().ToString();
  auto agent = ConversableAgent::Create({.human_input_mode = HumanInputMode::kNever}, *config);
  if (!agent) return agent.error().ToString();
  std::vector<Message> messages = {
      {"user", std::string("```sh\ntest -f /.dockerenv && echo in a container\n```"), ""}};
  auto reply = (*agent)->GenerateReply(messages);
  return reply ? reply->text : reply.error().ToString();
}

TEST_F(AgentDockerTest, AutoGensLegacyFormRunsCodeInAContainer) {
  EXPECT_EQ(ReplyFromConfig({{"use_docker", testing::DockerTestImage()},
                             {"work_dir", (work_ / "legacy").string()}}),
            "exitcode: 0 (execution succeeded)\nCode output: in a container\n");
}

TEST_F(AgentDockerTest, AutoGensFactoryFormRunsCodeInAContainerAndLeavesNone) {
  nlohmann::json options = {{"image", testing::DockerTestImage()},
                            {"work_dir", work_.string()},
                            {"delete_tmp_files", true},
                            {"labels", {{kTestLabel, test_id_}}}};
  EXPECT_EQ(ReplyFromConfig({{"executor", "commandline-docker"}, {"commandline-docker", options}}),
            "exitcode: 0 (execution succeeded)\nCode output: in a container\n");
  EXPECT_TRUE(TestContainers().empty());
  for (const auto& entry : fs::recursive_directory_iterator(work_)) {  // delete_tmp_files
    EXPECT_THAT(entry.path().filename().string(), Not(::testing::StartsWith("tmp_code_")));
  }
}

TEST_F(AgentDockerTest, DockerAgentExampleRepliesToTheScatterPlotMessage) {
  fs::path input = temp_.path() / "stdin.txt";
  std::ofstream(input) << "\n";
  auto run = testing::RunCommand({"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + input.string(),
                                  CODEEXEC_AGENT_DOCKER_EXAMPLE, testing::DockerTestImage(),
                                  (work_ / "coding").string()});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stdout_text,
              HasSubstr("\n>>>>>>>> EXECUTING CODE BLOCK (inferred language is python)...\n"));
  EXPECT_THAT(run.stdout_text, HasSubstr("exitcode: 0 (execution succeeded)\nCode output: "
                                         "Scatter plot saved to scatter.png\n"));
  EXPECT_TRUE(fs::exists(work_ / "coding" / "scatter.png"));
}

}  // namespace
}  // namespace codeexec
