#include "service/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "core/work_folder.h"

namespace codeexec::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

// An executor whose calls wait until released or cancelled: for tests of admission and
// cancellation that must not depend on timing.
class GatedExecutor final : public CodeExecutor {
 public:
  static inline std::shared_future<void> release;
  static inline std::atomic<int> started{0};

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext& context) override {
    CodeResult result;
    ++started;
    while (release.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready) {
      if (context.cancel().IsCancelled()) {
        result.status = ExecutionStatus::kCancelled;
        result.exit_code = 125;
        return result;
      }
    }
    result.output = blocks.front().code;
    return result;
  }
  Result<void> DoRestart() override { return {}; }
  Result<void> DoStop() override { return {}; }
};

ExecutorRegistry& GatedRegistry() {
  static ExecutorRegistry* registry = [] {
    auto* r = new ExecutorRegistry;
    (void)r->Register("gated", [](std::string_view) -> Result<std::unique_ptr<CodeExecutor>> {
      return std::make_unique<GatedExecutor>();
    });
    return r;
  }();
  return *registry;
}

// A service whose default executor is GatedExecutor, released by `release`.
ServiceOptions GatedOptions(std::shared_future<void> release) {
  GatedExecutor::release = std::move(release);
  GatedExecutor::started = 0;
  ServiceOptions options;
  options.registry = &GatedRegistry();
  options.policy.default_executor = "gated";
  options.policy.allow_unisolated = true;
  options.ready_executors = 0;
  return options;
}

void WaitUntilOneStarted() {
  while (GatedExecutor::started == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

ServiceOptions LocalOptions() {
  ServiceOptions options;
  options.policy.default_executor = "local";
  options.policy.allow_unisolated = true;
  options.max_concurrent = 2;
  options.ready_executors = 1;
  return options;
}

std::unique_ptr<Service> MakeService(ServiceOptions options) {
  auto service = Service::Create(std::move(options));
  EXPECT_TRUE(service) << service.error().message();
  return service ? std::move(*service) : nullptr;
}

ExecuteRequest Python(std::string code) {
  ExecuteRequest request;
  request.blocks = {{"python", std::move(code)}};
  return request;
}

TEST(ServiceTest, RunsAOneShotExecution) {
  auto service = MakeService(LocalOptions());
  auto outcome = service->ExecuteAndWait("", Python("print(6 * 7)"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->result.output, "42\n");
  json result = outcome->ToJson();
  EXPECT_EQ(result["executor"], "local");
  // Paths are the work folder's, relative: a client never sees where the server keeps them.
  EXPECT_FALSE(result["code_file"].get<std::string>().starts_with("/"));
  EXPECT_EQ(result["blocks"].size(), 1u);
}

TEST(ServiceTest, StreamsEventsWhoseTextIsTheOutput) {
  auto service = MakeService(LocalOptions());
  std::vector<json> events;
  auto outcome =
      service->ExecuteAndWait("", Python("import sys\nprint('out')\nprint('err', file=sys.stderr)"),
                              [&](const json& event) { events.push_back(event); });
  ASSERT_TRUE(outcome);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["type"], "block_start");
  EXPECT_EQ(events.back()["type"], "block_end");
  std::string text;
  for (const json& event : events) {
    if (event.contains("text")) text += event["text"].get<std::string>();
  }
  EXPECT_EQ(text, outcome->result.output);
}

TEST(ServiceTest, OneShotExecutionsDoNotShareFiles) {
  auto service = MakeService(LocalOptions());
  ExecuteRequest write = Python("open('left.txt', 'w').write('x')");
  ASSERT_TRUE(service->ExecuteAndWait("", write));
  ExecuteRequest look = Python("import os\nprint(os.path.exists('left.txt'))");
  auto outcome = service->ExecuteAndWait("", look);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result.output, "False\n");
}

TEST(ServiceTest, PlacesAndFetchesFiles) {
  auto service = MakeService(LocalOptions());
  ExecuteRequest request = Python("open('out.txt', 'w').write(open('in.txt').read().upper())");
  request.files = {{"in.txt", "hello"}};
  request.fetch = {"out.txt", "nope.txt"};
  auto outcome = service->ExecuteAndWait("", request);
  ASSERT_TRUE(outcome);
  ASSERT_EQ(outcome->fetched.size(), 2u);
  EXPECT_EQ(outcome->fetched[0].bytes, "HELLO");
  json result = outcome->ToJson();
  EXPECT_EQ(result["fetched"][0]["content"], "SEVMTE8=");
  EXPECT_TRUE(result["fetched"][1].contains("error"));
}

TEST(ServiceTest, SessionsKeepTheirFilesUntilDeleted) {
  auto service = MakeService(LocalOptions());
  auto session = service->CreateSession({});
  ASSERT_TRUE(session) << session.error().message;
  std::string id = (*session)["id"];
  EXPECT_EQ(id.size(), 32u);
  ASSERT_TRUE(service->WriteFile(id, "notes/a.txt", "kept"));
  auto outcome = service->ExecuteAndWait(id, Python("print(open('notes/a.txt').read())"));
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result.output, "kept\n");
  auto listed = service->ListFiles(id, "");
  ASSERT_TRUE(listed);
  std::vector<std::string> paths;
  for (const json& entry : (*listed)["entries"]) paths.push_back(entry["path"]);
  EXPECT_THAT(paths, ::testing::Contains("notes/a.txt"));
  EXPECT_EQ(*service->ReadFile(id, "notes/a.txt"), "kept");
  fs::path work_dir = outcome->work_dir;
  ASSERT_TRUE(fs::exists(work_dir));
  ASSERT_TRUE(service->DeleteSession(id));
  EXPECT_FALSE(fs::exists(work_dir));
  EXPECT_EQ(service->ReadFile(id, "notes/a.txt").error().kind, ServiceErrorKind::kNotFound);
  EXPECT_EQ(service->DeleteSession(id).error().kind, ServiceErrorKind::kNotFound);
}

TEST(ServiceTest, DeletingASessionCancelsWhatRunsInIt) {
  auto service = MakeService(LocalOptions());
  std::string id = (*service->CreateSession({}))["id"];
  std::promise<ServiceResult<ExecuteOutcome>> done;
  std::promise<void> started;
  ExecuteHooks hooks;
  bool first = true;
  hooks.on_event = [&](const json& event) {
    if (event["type"] == "stdout" && first) {
      first = false;
      started.set_value();
    }
  };
  hooks.on_done = [&](ServiceResult<ExecuteOutcome> outcome) {
    done.set_value(std::move(outcome));
  };
  ASSERT_TRUE(service->Execute(
      id, Python("import time\nprint('started', flush=True)\ntime.sleep(600)"), hooks));
  started.get_future().wait();
  ASSERT_TRUE(service->DeleteSession(id));
  auto outcome = done.get_future().get();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result.status, ExecutionStatus::kCancelled);
}

TEST(ServiceTest, IdleSessionsExpire) {
  ServiceOptions options = LocalOptions();
  auto service = MakeService(options);
  SessionRequest request;
  request.idle_timeout_seconds = 1;
  auto session = service->CreateSession(request);
  ASSERT_TRUE(session);
  std::string id = (*session)["id"];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (service->DescribeSession(id) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(service->DescribeSession(id).error().kind, ServiceErrorKind::kNotFound);
}

TEST(ServiceTest, RefusesSessionsPastTheMaximum) {
  ServiceOptions options = LocalOptions();
  options.max_sessions = 2;
  auto service = MakeService(options);
  ASSERT_TRUE(service->CreateSession({}));
  ASSERT_TRUE(service->CreateSession({}));
  auto refused = service->CreateSession({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ServiceErrorKind::kBusy);
}

TEST(ServiceTest, RefusesUnknownLanguagesBeforeRunningAnything) {
  auto service = MakeService(LocalOptions());
  ExecuteRequest request;
  request.blocks = {{"cobol", "DISPLAY 'HI'."}};
  auto refused = service->Execute("", request, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ServiceErrorKind::kBadRequest);
  EXPECT_THAT(refused.error().message, HasSubstr("unknown language 'cobol'"));
}

TEST(ServiceTest, ExecutionsPastTheQueueAreRefused) {
  std::promise<void> release;
  ServiceOptions options = GatedOptions(release.get_future().share());
  options.max_concurrent = 1;
  options.max_queue = 1;
  auto service = MakeService(options);
  std::vector<std::promise<ServiceResult<ExecuteOutcome>>> done(2);
  std::vector<CancellationToken> cancels(2);
  ExecuteRequest request;
  request.blocks = {{"anything", "ok"}};
  for (int i = 0; i < 2; ++i) {
    ExecuteHooks hooks;
    hooks.cancel = cancels[i];
    hooks.on_done = [&done, i](ServiceResult<ExecuteOutcome> outcome) {
      done[i].set_value(std::move(outcome));
    };
    auto queued = service->Execute("", request, hooks);
    ASSERT_TRUE(queued) << i << ": " << queued.error().message;
  }
  auto refused = service->Execute("", request, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ServiceErrorKind::kBusy);
  WaitUntilOneStarted();
  cancels[0].Cancel();  // the running one
  auto first = done[0].get_future().get();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result.status, ExecutionStatus::kCancelled);
  release.set_value();
  auto second = done[1].get_future().get();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->result.output, "ok");
}

TEST(ServiceTest, ShutdownCancelsRunningExecutionsAndLeavesNothing) {
  std::promise<void> never;
  auto service = MakeService(GatedOptions(never.get_future().share()));
  ASSERT_TRUE(service->CreateSession({}));
  std::promise<ServiceResult<ExecuteOutcome>> done;
  ExecuteHooks hooks;
  hooks.on_done = [&](ServiceResult<ExecuteOutcome> outcome) {
    done.set_value(std::move(outcome));
  };
  ExecuteRequest request;
  request.blocks = {{"x", "y"}};
  ASSERT_TRUE(service->Execute("", request, hooks));
  WaitUntilOneStarted();
  fs::path root = service->root();
  ASSERT_TRUE(fs::exists(root));
  service->Shutdown(std::chrono::milliseconds(50));
  auto outcome = done.get_future().get();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->result.status, ExecutionStatus::kCancelled);
  EXPECT_FALSE(fs::exists(root));
  EXPECT_EQ(service->Execute("", request, {}).error().kind, ServiceErrorKind::kUnavailable);
}

TEST(ServiceTest, AServerThatCannotRunItsDefaultExecutorDoesNotStart) {
  ServiceOptions options = LocalOptions();
  options.policy.configs = {{"local", R"j({"timeout": 0.1})j"}};  // the executor refuses it
  auto service = Service::Create(options);
  ASSERT_FALSE(service);
  EXPECT_THAT(service.error().message(), HasSubstr("could not start"));
}

}  // namespace
}  // namespace codeexec::service
