// AutoGen's code_execution_config in its three forms (false, legacy, factory), every error, the
// executor built from it, and the agent that owns that executor.
#include "codeexec/code_execution_config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "codeexec/agent.h"
#include "codeexec/local_executor.h"
#include "codeexec/log.h"
#include "testing/test_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Form = CodeExecutionConfig::Form;
using Json = nlohmann::json;

constexpr char kLastNMessagesError[] =
    "last_n_messages must be either a non-negative integer, or the string 'auto'.";

// Sets (or with nullptr removes) an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// An executor that only remembers the configuration it was made with.
class RecordingExecutor final : public CodeExecutor {
 public:
  RecordingExecutor(std::string name, std::string config)
      : name_(std::move(name)), config_(std::move(config)) {}
  const std::string& name() const { return name_; }
  const std::string& config() const { return config_; }

 protected:
  Result<void> DoRestart() override { return {}; }
  Result<void> DoStop() override { return {}; }
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>&,
                                         const ExecutionContext&) override {
    return CodeResult{};
  }

 private:
  std::string name_;
  std::string config_;
};

ExecutorFactory Recording(std::string name) {
  return [name](std::string_view config) -> Result<std::unique_ptr<CodeExecutor>> {
    return std::make_unique<RecordingExecutor>(name, std::string(config));
  };
}

class CodeExecutionConfigTest : public ::testing::Test {
 protected:
  // The built-in names with recording factories (docker's unreachable when asked), the real
  // local executor, and AutoGen's aliases.
  void SetUp() override {
    ASSERT_TRUE(registry_.Register("local", &LocalCommandLineCodeExecutor::FromJson));
    ASSERT_TRUE(registry_.Register(
        "docker", [this](std::string_view config) -> Result<std::unique_ptr<CodeExecutor>> {
          if (!docker_unreachable_) return Recording("docker")(config);
          return MakeError(ErrorCode::kUnavailable,
                           "the Docker daemon is not reachable at unix:///var/run/docker.sock "
                           "(refused).");
        }));
    ASSERT_TRUE(registry_.Register("jupyter", Recording("jupyter")));
    ASSERT_TRUE(registry_.Register("sandbox", Recording("sandbox")));
    RegisterAutoGenAliases(registry_);
  }

  CodeExecutionConfig Parse(std::string_view json) {
    auto config = ParseCodeExecutionConfig(json, registry_);
    EXPECT_TRUE(config) << json << ": " << config.error().ToString();
    return config ? *config : CodeExecutionConfig{};
  }

  // The error message for `json`, which must be refused with kInvalidArgument.
  std::string Refusal(std::string_view json) {
    auto config = ParseCodeExecutionConfig(json, registry_);
    if (config) {
      ADD_FAILURE() << json << " was accepted";
      return "";
    }
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument) << json;
    return config.error().message();
  }

  static Json Options(const CodeExecutionConfig& config) {
    return Json::parse(config.executor_config);
  }

  ExecutorRegistry registry_;
  bool docker_unreachable_ = false;
  ScopedEnv no_autogen_use_docker_{"AUTOGEN_USE_DOCKER", nullptr};
  testing::TempDir temp_{"code-execution-config"};
};

// The legacy form.

TEST_F(CodeExecutionConfigTest, SeedsLegacyFormIsTheLocalExecutorInItsWorkDir) {
  CodeExecutionConfig config = Parse(R"({"work_dir": "coding", "use_docker": false})");
  EXPECT_EQ(config.form, Form::kLegacy);
  EXPECT_EQ(config.executor, "local");
  EXPECT_EQ(Options(config), Json::parse(R"({"work_dir": "coding", "timeout": 600})"));
  EXPECT_FALSE(config.last_n_messages.has_value());
}

TEST_F(CodeExecutionConfigTest, LegacyTimeoutAndLastNMessagesAreKept) {
  CodeExecutionConfig config =
      Parse(R"({"use_docker": false, "timeout": 10, "last_n_messages": 3})");
  EXPECT_EQ(Options(config), Json::parse(R"({"timeout": 10})"));
  EXPECT_EQ(config.last_n_messages, LastNMessages(3));
  EXPECT_EQ(Parse(R"({"use_docker": false, "last_n_messages": "auto"})").last_n_messages,
            LastNMessages(std::string("auto")));
  EXPECT_EQ(Parse(R"({"use_docker": false, "last_n_messages": 0})").last_n_messages,
            LastNMessages(0));
}

TEST_F(CodeExecutionConfigTest, UseDockerTrueIsTheDockerExecutorWithItsDefaultImage) {
  CodeExecutionConfig config = Parse(R"({"use_docker": true, "work_dir": "coding"})");
  EXPECT_EQ(config.form, Form::kLegacy);
  EXPECT_EQ(config.executor, "docker");
  EXPECT_EQ(Options(config), Json::parse(R"({"work_dir": "coding", "timeout": 600})"));
}

TEST_F(CodeExecutionConfigTest, UseDockerNamesTheImage) {
  CodeExecutionConfig named = Parse(R"({"use_docker": "python:3.11-slim"})");
  EXPECT_EQ(named.executor, "docker");
  EXPECT_EQ(Options(named)["image"], "python:3.11-slim");
  EXPECT_EQ(Options(Parse(R"({"use_docker": ["debian:12"]})"))["image"], "debian:12");
}

TEST_F(CodeExecutionConfigTest, UseDockerWithSeveralImagesAsksForOne) {
  EXPECT_EQ(Refusal(R"({"use_docker": ["python:3-slim", "python:3"]})"),
            "'use_docker' lists 2 images (AutoGen uses the first it finds); codeexec runs one: "
            "name it, for example \"use_docker\": \"python:3-slim\"");
}

TEST_F(CodeExecutionConfigTest, UseDockerThatIsNeitherABooleanNorAnImageIsRefused) {
  // AutoGen would run "" and [] on this host; an empty image name is a mistake, not a choice.
  for (const char* json : {R"({"use_docker": ""})", R"({"use_docker": []})", R"({"use_docker": 1})",
                           R"({"use_docker": {}})"}) {
    EXPECT_THAT(Refusal(json), StartsWith("'use_docker' must be false (run the code on this "
                                          "host), true (in Docker, image python:3-slim) or an "
                                          "image name such as \"python:3-slim\", not "))
        << json;
  }
}

TEST_F(CodeExecutionConfigTest, AbsentUseDockerMeansDockerAsInAutoGen) {
  EXPECT_EQ(Parse(R"({"work_dir": "coding"})").executor, "docker");
  EXPECT_EQ(Parse(R"({"use_docker": null})").executor, "docker");
  EXPECT_EQ(Parse("{}").executor, "docker");
}

TEST_F(CodeExecutionConfigTest, AbsentUseDockerFollowsAutogenUseDocker) {
  for (const char* value : {"0", "False", "no", "F", "None"}) {
    ScopedEnv env("AUTOGEN_USE_DOCKER", value);
    EXPECT_EQ(Parse(R"({"work_dir": "coding"})").executor, "local") << value;
  }
  for (const char* value : {"1", "TRUE", "yes", "t"}) {
    ScopedEnv env("AUTOGEN_USE_DOCKER", value);
    EXPECT_EQ(Parse(R"({"work_dir": "coding"})").executor, "docker") << value;
  }
  ScopedEnv explicit_choice("AUTOGEN_USE_DOCKER", "0");
  EXPECT_EQ(Parse(R"({"use_docker": true})").executor, "docker");  // the config wins
}

TEST_F(CodeExecutionConfigTest, BadAutogenUseDockerGivesAutoGensMessage) {
  ScopedEnv env("AUTOGEN_USE_DOCKER", "maybe");
  EXPECT_EQ(Refusal("{}"),
            "Invalid value for AUTOGEN_USE_DOCKER: maybe. Please set AUTOGEN_USE_DOCKER to "
            "\"1/True/yes\", \"0/False/no\", or \"None\".");
  EXPECT_EQ(Parse(R"({"use_docker": false})").executor, "local");  // not consulted
}

TEST_F(CodeExecutionConfigTest, LegacyKeysOutsideAutoGensAreRefused) {
  EXPECT_EQ(Refusal(R"({"use_docker": false, "wrk_dir": "coding"})"),
            "'wrk_dir' is not a key of code_execution_config: without \"executor\", the keys are "
            "use_docker, work_dir, timeout and last_n_messages; to choose an executor and its "
            "options, write {\"executor\": \"commandline-local\", \"commandline-local\": {...}}");
  EXPECT_EQ(Refusal(R"({"use_docker": false, "commandline-local": {"timeout": 5}})"),
            "'commandline-local' in code_execution_config holds options of the executor "
            "\"commandline-local\", which apply only with \"executor\": \"commandline-local\": "
            "add that, or remove 'commandline-local'");
}

TEST_F(CodeExecutionConfigTest, LegacyWorkDirAndTimeoutMustHaveTheirTypes) {
  EXPECT_EQ(Refusal(R"({"use_docker": false, "work_dir": 3})"),
            "'work_dir' must be a folder (a string such as \"coding\"), not 3");
  EXPECT_EQ(Refusal(R"({"use_docker": false, "timeout": "10"})"),
            "'timeout' must be a number of seconds, such as 60, not \"10\"");
}

TEST_F(CodeExecutionConfigTest, BadLastNMessagesGivesAutoGensMessage) {
  for (const char* value : {"-1", "\"hello world\"", "1.5", "true", "null"}) {
    EXPECT_EQ(Refusal(fmt::format(R"({{"use_docker": false, "last_n_messages": {}}})", value)),
              kLastNMessagesError)
        << value;
    EXPECT_EQ(Refusal(fmt::format(R"({{"executor": "commandline-local", "last_n_messages": {}}})",
                                  value)),
              kLastNMessagesError)
        << value;
  }
}

// False, null and what is not an object.

TEST_F(CodeExecutionConfigTest, FalseTurnsCodeExecutionOff) {
  CodeExecutionConfig config = Parse("false");
  EXPECT_EQ(config.form, Form::kOff);
  EXPECT_EQ(config.executor, "");
  auto executor = CreateCodeExecutor(config, registry_);
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(executor.error().message(), HasSubstr("code execution is off"));
}

TEST_F(CodeExecutionConfigTest, NullIsTheDefaultWithAWarning) {
  std::vector<std::string> warnings;
  SetLogSink([&](LogLevel level, std::string_view message) {
    if (level == LogLevel::kWarning) warnings.emplace_back(message);
  });
  CodeExecutionConfig config = Parse("null");
  SetLogSink({});
  EXPECT_EQ(config.form, Form::kLegacy);
  EXPECT_EQ(config.executor, "docker");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("write {} for the default or false to turn code execution"));
}

TEST_F(CodeExecutionConfigTest, WhatIsNotAnObjectIsRefused) {
  for (const char* json : {"true", "[]", "3", "\"local\""}) {
    EXPECT_EQ(Refusal(json), "code_execution_config must be a dict or False.") << json;
  }
  EXPECT_THAT(Refusal("{\"work_dir\": "), StartsWith("code_execution_config is not valid JSON ("));
}

// The factory form.

TEST_F(CodeExecutionConfigTest, CommandlineLocalIsTheLocalExecutorWithItsOptions) {
  CodeExecutionConfig config = Parse(R"({"executor": "commandline-local",
      "commandline-local": {"timeout": 10, "work_dir": "coding",
                            "execution_policies": {"javascript": true}},
      "last_n_messages": 2})");
  EXPECT_EQ(config.form, Form::kFactory);
  EXPECT_EQ(config.executor_name, "commandline-local");
  EXPECT_EQ(config.executor, "local");
  EXPECT_EQ(Options(config), Json::parse(R"({"timeout": 10, "work_dir": "coding",
                                             "execution_policies": {"javascript": true}})"));
  EXPECT_EQ(config.last_n_messages, LastNMessages(2));
}

TEST_F(CodeExecutionConfigTest, JupyterNamesAreTheJupyterExecutor) {
  CodeExecutionConfig embedded = Parse(R"({"executor": "ipython-embedded"})");
  EXPECT_EQ(embedded.executor, "jupyter");
  EXPECT_EQ(embedded.executor_config, "{}");
  CodeExecutionConfig local = Parse(R"({"executor": "jupyter-local", "jupyter-local":
      {"timeout": 60, "kernel_name": "python3", "output_dir": "/tmp"}})");
  EXPECT_EQ(local.executor, "jupyter");
  EXPECT_EQ(Options(local),
            Json::parse(R"({"timeout": 60, "kernel_name": "python3", "output_dir": "/tmp"})"));
}

TEST_F(CodeExecutionConfigTest, OurOwnNamesWorkToo) {
  CodeExecutionConfig config = Parse(R"({"executor": "sandbox", "sandbox": {"timeout": 5}})");
  EXPECT_EQ(config.executor, "sandbox");
  EXPECT_EQ(Options(config), Json::parse(R"({"timeout": 5})"));
}

TEST_F(CodeExecutionConfigTest, DockerParametersAreTranslated) {
  CodeExecutionConfig config = Parse(R"({"executor": "commandline-docker", "commandline-docker": {
      "image": "python:3-slim", "container_name": "mine", "delete_tmp_files": true,
      "extra_volumes": {"/data": {"bind": "/mnt/data", "mode": "ro"}, "/cache": {"bind": "/c"}},
      "extra_hosts": {"db": "10.0.0.2"}}})");
  EXPECT_EQ(config.executor, "docker");
  EXPECT_EQ(Options(config), Json::parse(R"({"image": "python:3-slim", "container_name": "mine",
      "cleanup_code_files": true, "extra_volumes": ["/cache:/c", "/data:/mnt/data:ro"],
      "extra_hosts": ["db:10.0.0.2"]})"));
  // Docker's own list forms pass as they are.
  EXPECT_EQ(Options(Parse(R"({"executor": "docker", "docker": {"extra_volumes": ["/a:/b"]}})")),
            Json::parse(R"({"extra_volumes": ["/a:/b"]})"));
}

TEST_F(CodeExecutionConfigTest, DockerParametersWithoutACounterpartAreRefused) {
  EXPECT_EQ(Refusal(R"({"executor": "commandline-docker",
                        "commandline-docker": {"device_requests": []}})"),
            "code_execution_config[\"commandline-docker\"]: 'device_requests' (GPUs) is not "
            "supported by the docker executor: remove it");
  EXPECT_EQ(Refusal(R"({"executor": "commandline-docker",
                        "commandline-docker": {"extra_volumes": {"/data": "/mnt"}}})"),
            "code_execution_config[\"commandline-docker\"]: 'extra_volumes': /data must be "
            "{\"bind\": \"/container/path\", \"mode\": \"rw\"}");
  EXPECT_EQ(Refusal(R"({"executor": "commandline-docker",
                        "commandline-docker": {"extra_hosts": {"db": 3}}})"),
            "code_execution_config[\"commandline-docker\"]: 'extra_hosts': db must map to an "
            "address string");
}

TEST_F(CodeExecutionConfigTest, LocalParametersAreTranslated) {
  CodeExecutionConfig config = Parse(R"({"executor": "commandline-local", "commandline-local":
      {"virtual_env_context": ".venv", "cleanup_temp_files": true, "functions_module": "tools"}})");
  EXPECT_EQ(Options(config), Json::parse(R"({"virtual_env": ".venv", "cleanup_code_files": true,
                                             "functions_module": "tools"})"));
  EXPECT_EQ(Refusal(R"({"executor": "commandline-local",
                        "commandline-local": {"virtual_env_context": {"env_dir": ".venv"}}})"),
            "code_execution_config[\"commandline-local\"]: 'virtual_env_context' must be the "
            "virtual environment's folder (a string such as \".venv\")");
  EXPECT_EQ(Refusal(R"({"executor": "commandline-local", "commandline-local":
                        {"cleanup_temp_files": true, "cleanup_code_files": false}})"),
            "code_execution_config[\"commandline-local\"]: 'cleanup_temp_files' says again what "
            "another option already says: keep one");
}

TEST_F(CodeExecutionConfigTest, TopLevelExecutorArgumentsGiveAutoGensMessage) {
  for (const char* key : {"use_docker", "work_dir", "timeout"}) {
    EXPECT_EQ(Refusal(fmt::format(R"({{"executor": "commandline-local", "{}": "x"}})", key)),
              fmt::format("'{}' in code_execution_config is not valid when 'executor' is set. "
                          "Use the appropriate arg in the chosen executor instead.",
                          key));
  }
}

TEST_F(CodeExecutionConfigTest, UnknownExecutorIsNotFoundAndListsTheNames) {
  auto config = ParseCodeExecutionConfig(R"({"executor": "unknown"})", registry_);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(config.error().message(),
            "Unknown code executor 'unknown' (known: docker, jupyter, local, sandbox; aliases: "
            "commandline-docker = docker, commandline-local = local, ipython-embedded = jupyter, "
            "jupyter-local = jupyter)");
}

TEST_F(CodeExecutionConfigTest, ExecutorMustBeAName) {
  EXPECT_EQ(Refusal(R"({"executor": {"type": "local"}})"),
            "'executor' must name an executor, such as \"commandline-local\", not "
            "{\"type\":\"local\"} (an executor object is given to the agent directly: "
            "CodeExecutorAgent::Create)");
  // null is AutoGen's "no executor": the legacy form.
  EXPECT_EQ(Parse(R"({"executor": null, "use_docker": false})").form, Form::kLegacy);
}

TEST_F(CodeExecutionConfigTest, FactoryKeysAreChecked) {
  EXPECT_EQ(Refusal(R"({"executor": "commandline-local", "last_n_message": 2})"),
            "'last_n_message' is not a key of code_execution_config: with \"executor\", the keys "
            "are executor, last_n_messages and \"commandline-local\" (the executor's options)");
  EXPECT_EQ(Refusal(R"({"executor": "commandline-local", "commandline-local": 5})"),
            "code_execution_config[\"commandline-local\"] must be an object with the executor's "
            "options, such as {\"timeout\": 60}, not 5");
  // The same executor's options under another of its names would be lost.
  EXPECT_EQ(Refusal(R"({"executor": "commandline-local", "local": {"timeout": 5}})"),
            "the options of \"commandline-local\" go under \"commandline-local\" (the name "
            "\"executor\" gives), not \"local\"");
}

TEST_F(CodeExecutionConfigTest, OtherExecutorsOptionsAreIgnoredAsInAutoGen) {
  CodeExecutionConfig config = Parse(R"({"executor": "ipython-embedded",
      "ipython-embedded": {"timeout": 30}, "commandline-local": {"work_dir": "coding"}})");
  EXPECT_EQ(config.executor, "jupyter");
  EXPECT_EQ(Options(config), Json::parse(R"({"timeout": 30})"));
}

// Creating the executor.

TEST_F(CodeExecutionConfigTest, CreatesTheExecutorWithTheTranslatedOptions) {
  CodeExecutionConfig config = Parse(R"({"executor": "commandline-docker",
      "commandline-docker": {"image": "debian:12", "delete_tmp_files": true}})");
  auto executor = CreateCodeExecutor(config, registry_);
  ASSERT_TRUE(executor) << executor.error().ToString();
  auto& recording = static_cast<RecordingExecutor&>(**executor);
  EXPECT_EQ(recording.name(), "docker");
  EXPECT_EQ(Json::parse(recording.config()),
            Json::parse(R"({"image": "debian:12", "cleanup_code_files": true})"));
}

TEST_F(CodeExecutionConfigTest, AnOptionTheExecutorRefusesSaysWhereItIs) {
  auto factory = CreateCodeExecutor(
      Parse(R"({"executor": "commandline-local", "commandline-local": {"bogus": 1}})"), registry_);
  ASSERT_FALSE(factory);
  EXPECT_EQ(factory.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(factory.error().message(),
              StartsWith("code_execution_config[\"commandline-local\"]: option 'bogus': "));
  auto legacy = CreateCodeExecutor(Parse(R"({"use_docker": false, "timeout": 0})"), registry_);
  ASSERT_FALSE(legacy);
  EXPECT_THAT(legacy.error().message(), StartsWith("code_execution_config: "));
}

TEST_F(CodeExecutionConfigTest, DockerUnavailableForTheLegacyFormNeverFallsBackToThisHost) {
  docker_unreachable_ = true;
  auto executor = CreateCodeExecutor(Parse(R"({"work_dir": "coding"})"), registry_);
  ASSERT_FALSE(executor);
  EXPECT_EQ(executor.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(executor.error().message(),
              StartsWith("Code execution is set to be run in docker (use_docker, or AutoGen's "
                         "default when it is absent) but Docker cannot be used: the Docker daemon "
                         "is not reachable at "));
  EXPECT_THAT(executor.error().message(), HasSubstr("\"use_docker\": \"IMAGE\" names another"));
  EXPECT_THAT(executor.error().message(), HasSubstr("\"use_docker\": false runs the code on"));
  EXPECT_THAT(executor.error().message(), HasSubstr("{\"executor\": \"sandbox\"}"));
  // Asked for by name, the executor's own error is enough.
  auto named = CreateCodeExecutor(Parse(R"({"executor": "commandline-docker"})"), registry_);
  ASSERT_FALSE(named);
  EXPECT_THAT(named.error().message(), StartsWith("the Docker daemon is not reachable"));
}

// The agent.

Message User(std::string text) { return {"user", std::move(text), ""}; }

TEST_F(CodeExecutionConfigTest, AgentFromTheLegacyFormRunsCodeInItsWorkDir) {
  Json json = {{"work_dir", (temp_.path() / "coding").string()},
               {"use_docker", false},
               {"last_n_messages", 1}};
  AgentOptions options{.human_input_mode = HumanInputMode::kNever};
  auto agent = ConversableAgent::Create(options, Parse(json.dump()), nullptr, registry_);
  ASSERT_TRUE(agent) << agent.error().ToString();
  ASSERT_NE((*agent)->executor(), nullptr);
  auto reply = (*agent)->GenerateReply(
      std::vector<Message>{User("```python\n# filename: hi.py\nprint('hi')\n```")});
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->kind, Reply::Kind::kCodeExecution);
  EXPECT_EQ(reply->text, "exitcode: 0 (execution succeeded)\nCode output: hi\n");
  EXPECT_TRUE(fs::exists(temp_.path() / "coding" / "hi.py"));
  // last_n_messages 1: code two messages back is not run.
  auto older = (*agent)->GenerateReply(
      std::vector<Message>{User("```python\nprint('hi')\n```"), User("thanks")});
  ASSERT_TRUE(older);
  EXPECT_EQ(older->kind, Reply::Kind::kDefault);
}

TEST_F(CodeExecutionConfigTest, AgentWithCodeExecutionOffHasNoExecutor) {
  AgentOptions options{.human_input_mode = HumanInputMode::kNever};
  auto agent = ConversableAgent::Create(options, Parse("false"), nullptr, registry_);
  ASSERT_TRUE(agent) << agent.error().ToString();
  EXPECT_EQ((*agent)->executor(), nullptr);
  auto reply = (*agent)->GenerateReply(std::vector<Message>{User("```sh\necho x\n```")});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind, Reply::Kind::kDefault);
}

TEST_F(CodeExecutionConfigTest, AgentOptionsAreCheckedBeforeTheExecutorIsCreated) {
  docker_unreachable_ = true;
  AgentOptions options{.max_consecutive_auto_reply = -1};
  auto agent = ConversableAgent::Create(options, Parse("{}"), nullptr, registry_);
  ASSERT_FALSE(agent);
  EXPECT_THAT(agent.error().message(), HasSubstr("max_consecutive_auto_reply"));
}

}  // namespace
}  // namespace codeexec
