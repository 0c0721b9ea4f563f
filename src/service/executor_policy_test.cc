#include "service/executor_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::service {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

PolicyOptions Configured(std::string name, std::string config) {
  PolicyOptions options;
  options.configs[std::move(name)] = std::move(config);
  return options;
}

PolicyOptions Allowing(std::string name) {
  PolicyOptions options;
  options.allowed = {std::move(name)};
  return options;
}

ExecutorPolicy MakePolicy(PolicyOptions options) {
  auto policy = ExecutorPolicy::Create(DefaultExecutorRegistry(), std::move(options));
  EXPECT_TRUE(policy) << policy.error().message();
  return std::move(*policy);
}

TEST(ExecutorPolicyTest, TheSandboxIsTheDefault) {
  ExecutorPolicy policy = MakePolicy({});
  EXPECT_EQ(policy.default_executor(), "sandbox");
  auto choice = policy.Choose("", nullptr);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->name, "sandbox");
  EXPECT_TRUE(choice->operator_config);
}

TEST(ExecutorPolicyTest, LocalNeedsAllowUnisolated) {
  PolicyOptions options;
  options.default_executor = "local";
  auto refused = ExecutorPolicy::Create(DefaultExecutorRegistry(), options);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("--allow-unisolated"));
  options.default_executor = "sandbox";
  options.allowed = {"commandline-local"};  // AutoGen's name for it, too
  EXPECT_FALSE(ExecutorPolicy::Create(DefaultExecutorRegistry(), options));
  options.allow_unisolated = true;
  EXPECT_TRUE(ExecutorPolicy::Create(DefaultExecutorRegistry(), options));
}

TEST(ExecutorPolicyTest, JupyterOnTheHostNeedsAllowUnisolatedUntilItHasASandbox) {
  PolicyOptions options;
  options.allowed = {"jupyter"};
  auto created = ExecutorPolicy::Create(DefaultExecutorRegistry(), options);
  if (JupyterHasSandboxOption(DefaultExecutorRegistry())) {
    ASSERT_TRUE(created);
    EXPECT_TRUE(created->IsIsolated("jupyter"));
    EXPECT_EQ(created->Choose("jupyter", nullptr)->config["sandbox"], true);
  } else {
    ASSERT_FALSE(created);
    EXPECT_THAT(created.error().message(), HasSubstr("--allow-unisolated"));
  }
}

TEST(ExecutorPolicyTest, AJupyterKernelInAContainerIsIsolated) {
  for (std::string config : {R"({"docker": true})", R"({"docker": {"memory_limit": "1g"}})",
                             R"({"isolation": "docker"})"}) {
    PolicyOptions options;
    options.default_executor = "jupyter";
    options.configs["jupyter"] = config;
    auto created = ExecutorPolicy::Create(DefaultExecutorRegistry(), options);
    ASSERT_TRUE(created) << config << ": " << created.error().message();
    EXPECT_TRUE(created->IsIsolated("jupyter")) << config;
    EXPECT_FALSE(created->Choose("jupyter", nullptr)->config.contains("sandbox")) << config;
  }
  for (std::string config : {R"({"docker": false})", R"({"isolation": "none"})",
                             R"({"docker": true, "sandbox": false})"}) {
    PolicyOptions options;
    options.default_executor = "jupyter";
    options.configs["jupyter"] = config;
    auto refused = ExecutorPolicy::Create(DefaultExecutorRegistry(), options);
    ASSERT_FALSE(refused) << config;
    EXPECT_THAT(refused.error().message(), HasSubstr("{\"docker\": true}")) << config;
  }
}

TEST(ExecutorPolicyTest, ClientsMayLowerLimits) {
  ExecutorPolicy policy = MakePolicy(Configured("sandbox", R"j({"timeout": 30})j"));
  auto choice = policy.Choose("sandbox", json{{"timeout", 5}, {"memory_limit", "256m"}});
  ASSERT_TRUE(choice) << choice.error().message;
  EXPECT_EQ(choice->config["timeout"], 5.0);
  EXPECT_EQ(choice->config["memory_limit"], 256u << 20);
  EXPECT_FALSE(choice->operator_config);
  EXPECT_EQ(choice->max_timeout, std::chrono::seconds(5));
}

TEST(ExecutorPolicyTest, ClientsMayNotRaiseLimits) {
  ExecutorPolicy policy = MakePolicy(Configured("sandbox", R"j({"timeout": 30})j"));
  auto above_operator = policy.Choose("sandbox", json{{"timeout", 31}});
  ASSERT_FALSE(above_operator);
  EXPECT_EQ(above_operator.error().kind, ServiceErrorKind::kBadRequest);
  EXPECT_THAT(above_operator.error().message, HasSubstr("at most 30"));
  // Past the executor's own default when the operator set none (1 GiB of memory).
  EXPECT_FALSE(policy.Choose("sandbox", json{{"memory_limit", "2g"}}));
  // Zero would lift the limit.
  EXPECT_FALSE(policy.Choose("sandbox", json{{"max_processes", 0}}));
}

TEST(ExecutorPolicyTest, ClientsMaySetNothingButLimits) {
  ExecutorPolicy policy = MakePolicy({});
  for (const char* key : {"work_dir", "network", "read_only_paths", "host_uid", "env", "python"}) {
    auto refused = policy.Choose("sandbox", json{{key, true}});
    ASSERT_FALSE(refused) << key;
    EXPECT_THAT(refused.error().message, HasSubstr("cannot be set by clients")) << key;
  }
  EXPECT_FALSE(policy.Choose("sandbox", json{{"timeout", "soon"}}));
  EXPECT_FALSE(policy.Choose("sandbox", json::array()));
}

TEST(ExecutorPolicyTest, UnknownAndDisallowedExecutorsAreRefusedDifferently) {
  ExecutorPolicy policy = MakePolicy({});
  auto unknown = policy.Choose("cobol-mainframe", nullptr);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ServiceErrorKind::kBadRequest);
  auto disallowed = policy.Choose("docker", nullptr);
  ASSERT_FALSE(disallowed);
  EXPECT_EQ(disallowed.error().kind, ServiceErrorKind::kForbidden);
  EXPECT_THAT(disallowed.error().message, HasSubstr("--allow-executors"));
}

TEST(ExecutorPolicyTest, OperatorsMayNotSetWhatTheServerSets) {
  auto refused = ExecutorPolicy::Create(DefaultExecutorRegistry(),
                                        Configured("sandbox", R"j({"work_dir": "/srv"})j"));
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("--work-root"));
  EXPECT_FALSE(ExecutorPolicy::Create(DefaultExecutorRegistry(), Configured("sandbox", "[1, 2]")));
}

TEST(ExecutorPolicyTest, DockerGetsWorkFolderLimits) {
  ExecutorPolicy policy = MakePolicy(Allowing("docker"));
  auto choice = policy.Choose("docker", nullptr);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->work_dir_bytes, 512u << 20);
  EXPECT_EQ(choice->work_dir_files, 16384u);
  EXPECT_TRUE(choice->config.contains("work_dir_size_limit"));
}

TEST(ExecutorPolicyTest, CallTimeoutsStayWithinTheMaximum) {
  ExecutorPolicy policy = MakePolicy(Configured("sandbox", R"j({"timeout": 10})j"));
  auto choice = *policy.Choose("", nullptr);
  EXPECT_EQ(*policy.CallTimeout(choice, std::nullopt), std::chrono::seconds(10));
  EXPECT_EQ(*policy.CallTimeout(choice, 2.5), std::chrono::milliseconds(2500));
  EXPECT_FALSE(policy.CallTimeout(choice, 11));
  EXPECT_FALSE(policy.CallTimeout(choice, 0.5));
}

TEST(ExecutorPolicyTest, DescribeListsAllowedExecutorsWithCeilings) {
  ExecutorPolicy policy = MakePolicy(Allowing("docker"));
  json described = policy.Describe();
  ASSERT_EQ(described.size(), 2u);
  EXPECT_EQ(described[0]["name"], "sandbox");
  EXPECT_EQ(described[0]["default"], true);
  EXPECT_EQ(described[0]["isolated"], true);
  EXPECT_EQ(described[0]["limits"]["timeout"], 60.0);
  EXPECT_TRUE(described[1]["limits"]["memory_limit"].is_null());  // docker: none by default
}

}  // namespace
}  // namespace codeexec::service
