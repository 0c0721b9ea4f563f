// The contract of executor.h and events.h, held by every built-in executor against its real
// peer: live events whose text is the result's, per-block results, standard input and arguments,
// a call's own timeout, concurrent calls, and Stop() and Restart() from another thread while a
// call runs. (The suite also runs under ThreadSanitizer in CI: the `tsan` preset.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "codeexec/docker_executor.h"
#include "codeexec/jupyter_executor.h"
#include "codeexec/local_executor.h"
#include "codeexec/sandbox_executor.h"
#include "command.h"
#include "core/utf8.h"
#include "docker_test_util.h"

namespace codeexec {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using Type = ExecutionEvent::Type;

enum class Kind { kLocal, kSandbox, kDocker, kJupyter };

std::string Name(Kind kind) {
  switch (kind) {
    case Kind::kLocal:
      return "Local";
    case Kind::kSandbox:
      return "Sandbox";
    case Kind::kDocker:
      return "Docker";
    case Kind::kJupyter:
      return "Jupyter";
  }
  return "?";
}

// The events of one call, with when each arrived.
struct Recorded {
  std::mutex mutex;
  std::vector<std::pair<ExecutionEvent, Clock::time_point>> events;

  EventSink Sink() {
    return [this](const ExecutionEvent& event) {
      std::lock_guard lock(mutex);
      events.emplace_back(event, Clock::now());
    };
  }
  std::string Text(std::initializer_list<Type> types, int block = -1) {
    std::string text;
    for (const auto& [event, at] : events) {
      bool wanted = false;
      for (Type type : types) wanted = wanted || event.type == type;
      if (wanted && (block < 0 || event.block == block)) text += event.text;
    }
    return text;
  }
  std::vector<Type> Kinds() {
    std::vector<Type> kinds;
    for (const auto& [event, at] : events) kinds.push_back(event.type);
    return kinds;
  }
};

class ExecutionContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    Kind kind = GetParam();
    if ((kind == Kind::kSandbox || kind == Kind::kDocker) && geteuid() != 0) {
      if (testing::InCi()) FAIL() << "CI runs as root";
      GTEST_SKIP() << "the sandbox and the Docker daemon need root";
    }
    auto made = Make();
    if (!made) {
      if (kind == Kind::kDocker && !testing::InCi()) {
        GTEST_SKIP() << "needs a Docker daemon and the test image: " << made.error().ToString();
      }
      FAIL() << made.error().ToString();
    }
    executor_ = std::move(*made);
  }
  void TearDown() override {
    if (executor_) {
      EXPECT_TRUE(executor_->Stop());
    }
  }

  Result<std::unique_ptr<CodeExecutor>> Make() {
    auto own = [](auto made) -> Result<std::unique_ptr<CodeExecutor>> {
      if (!made) return tl::unexpected(made.error());
      using Executor = std::decay_t<decltype(*made)>;
      return std::unique_ptr<CodeExecutor>(std::make_unique<Executor>(std::move(*made)));
    };
    auto common = [](CommandLineOptions& options) {
      options.timeout = std::chrono::seconds(20);
      options.output_limit = 4096;
    };
    switch (GetParam()) {
      case Kind::kLocal: {
        LocalExecutorOptions options;
        common(options);
        options.python = "/usr/bin/python3";
        return own(LocalCommandLineCodeExecutor::Create(options));
      }
      case Kind::kSandbox: {
        SandboxExecutorOptions options;
        common(options);
        return own(SandboxExecutor::Create(options));
      }
      case Kind::kDocker: {
        DockerExecutorOptions options;
        common(options);
        options.image = testing::DockerTestImage();
        options.labels["codeexec.test"] = "contract-" + std::to_string(getpid());
        return own(DockerCommandLineCodeExecutor::Create(options));
      }
      case Kind::kJupyter: {
        JupyterExecutorOptions options;
        options.timeout = std::chrono::seconds(20);
        options.output_limit = 4096;
        options.python = "/usr/bin/python3";
        return own(JupyterCodeExecutor::Create(options));
      }
    }
    return MakeError(ErrorCode::kInternal, "unknown kind");
  }
  bool CommandLine() const { return GetParam() != Kind::kJupyter; }

  // A call on another thread that prints and then sleeps a minute: returns once it printed.
  std::thread StartLongCall(Result<CodeResult>& result) {
    auto started = std::make_shared<std::atomic<bool>>(false);
    std::thread call([this, &result, started] {
      ExecutionOptions options;
      options.on_event = [started](const ExecutionEvent& event) {
        if (event.type == Type::kStdout) *started = true;
      };
      result = executor_->ExecuteCodeBlocks(
          {{"python", "import time\nprint('running', flush=True)\ntime.sleep(60)"}}, options);
    });
    for (auto until = Clock::now() + std::chrono::seconds(30); !*started && Clock::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(*started) << "the call never printed";
    return call;
  }

  std::unique_ptr<CodeExecutor> executor_;
};

TEST_P(ExecutionContractTest, EventsArriveWhileTheCodeRuns) {
  Recorded recorded;
  ExecutionOptions options;
  options.on_event = recorded.Sink();
  auto result = executor_->ExecuteCodeBlocks(
      {{"python", "import time\nprint('first', flush=True)\ntime.sleep(2)\nprint('second')"}},
      options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->output, "first\nsecond\n");
  Clock::time_point first_text, end;
  for (const auto& [event, at] : recorded.events) {
    if (event.type == Type::kStdout && event.text.starts_with("first")) first_text = at;
    if (event.type == Type::kBlockEnd) end = at;
  }
  ASSERT_NE(first_text, Clock::time_point());
  // The first line came while the code still slept, not with the result.
  EXPECT_LT(first_text + std::chrono::seconds(1), end);
}

TEST_P(ExecutionContractTest, TheEventsTextIsTheResultsOutputBlockByBlock) {
  Recorded recorded;
  ExecutionOptions options;
  options.on_event = recorded.Sink();
  auto result = executor_->ExecuteCodeBlocks(
      {{"python", "import sys\nprint('one')\nprint('to stderr', file=sys.stderr)"},
       {"python", "print('two')\nraise SystemExit(3)"},
       {"python", "print('never')"}},
      options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(recorded.Text({Type::kStdout, Type::kStderr, Type::kNote}), result->output);
  EXPECT_EQ(recorded.Text({Type::kStdout}), result->stdout_text);
  EXPECT_EQ(recorded.Text({Type::kStderr}), result->stderr_text);
  ASSERT_EQ(result->blocks.size(), 2u) << "the third block never ran";
  EXPECT_EQ(result->blocks[0].status, ExecutionStatus::kOk);
  EXPECT_EQ(result->blocks[0].exit_code, 0);
  EXPECT_EQ(result->blocks[0].language, "python");
  EXPECT_THAT(result->blocks[0].stdout_text, HasSubstr("one"));
  EXPECT_THAT(result->blocks[0].stderr_text, HasSubstr("to stderr"));
  EXPECT_NE(result->blocks[1].exit_code, 0);
  EXPECT_EQ(result->blocks[1].exit_code, result->exit_code);
  EXPECT_THAT(result->blocks[1].output, HasSubstr("two"));
  EXPECT_EQ(result->blocks[0].output + result->blocks[1].output, result->output);
  for (int block : {0, 1}) {
    EXPECT_EQ(recorded.Text({Type::kStdout, Type::kStderr, Type::kNote}, block),
              result->blocks[block].output);
  }
  std::vector<Type> starts_and_ends;
  for (Type type : recorded.Kinds()) {
    if (type == Type::kBlockStart || type == Type::kBlockEnd) starts_and_ends.push_back(type);
  }
  EXPECT_EQ(starts_and_ends, (std::vector<Type>{Type::kBlockStart, Type::kBlockEnd,
                                                Type::kBlockStart, Type::kBlockEnd}));
  if (CommandLine()) {
    ASSERT_TRUE(result->blocks[0].code_file);
    EXPECT_EQ(result->code_file, result->blocks[0].code_file);
  }
}

TEST_P(ExecutionContractTest, ACharacterSplitAcrossWritesArrivesWhole) {
  Recorded recorded;
  ExecutionOptions options;
  options.on_event = recorded.Sink();
  // A kernel sends text (its protocol is JSON): the bytes are split only by command lines.
  std::string code = CommandLine() ? "import os, time\nos.write(1, b'a\\xe2')\ntime.sleep(0.3)\n"
                                     "os.write(1, b'\\x82\\xac b \\xff')\n"
                                   : "print('a\\u20ac b \\ufffd', end='')";
  auto result = executor_->ExecuteCodeBlocks({{"python", code}}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  for (const auto& [event, at] : recorded.events) {
    EXPECT_EQ(ValidUtf8Prefix(event.text), event.text.size());
  }
  EXPECT_THAT(result->output, HasSubstr("a\xE2\x82\xAC b \xEF\xBF\xBD"));
  EXPECT_EQ(recorded.Text({Type::kStdout, Type::kStderr, Type::kNote}), result->output);
}

TEST_P(ExecutionContractTest, TheOutputLimitCutsTheEventsAsItCutsTheResult) {
  Recorded recorded;
  ExecutionOptions options;
  options.on_event = recorded.Sink();
  auto result =
      executor_->ExecuteCodeBlocks({{"python", "print('x' * 100000)\nprint('end')"}}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_TRUE(result->truncated);
  EXPECT_LT(result->output.size(), 4096u + 200);
  EXPECT_EQ(recorded.Text({Type::kStdout, Type::kStderr, Type::kNote}), result->output);
  EXPECT_EQ(result->blocks.at(0).status, ExecutionStatus::kOutputLimit);
}

TEST_P(ExecutionContractTest, StandardInputAndArgumentsReachTheProgram) {
  ExecutionOptions options;
  options.standard_input = "line one\nline two\n";
  options.args = {"alpha", "beta gamma"};
  auto result = executor_->ExecuteCodeBlocks(
      {{"python", "import sys\nprint(sys.argv[1:], sys.stdin.read().splitlines())"}}, options);
  if (!CommandLine()) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
    return;
  }
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->output, "['alpha', 'beta gamma'] ['line one', 'line two']\n");
  // Without them, stdin is at its end at once.
  auto plain =
      executor_->ExecuteCodeBlocks({{"python", "import sys\nprint(repr(sys.stdin.read()))"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->output, "''\n");
}

TEST_P(ExecutionContractTest, ACallsOwnTimeoutReplacesTheExecutors) {
  ExecutionOptions options;
  options.timeout = std::chrono::seconds(1);
  auto result = executor_->ExecuteCodeBlocks(
      {{"python", "import time\nprint('before', flush=True)\ntime.sleep(30)"}}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->status, ExecutionStatus::kTimeout);
  EXPECT_THAT(result->output, HasSubstr("before"));
  options.timeout = std::chrono::hours(24 * 365);
  auto refused = executor_->ExecuteCodeBlocks({{"python", "print(1)"}}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(ExecutionContractTest, CallsFromSeveralThreadsAllComplete) {
  constexpr int kCalls = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      auto result = executor_->ExecuteCodeBlocks({{"python", "print(" + std::to_string(i) + ")"}});
      outputs[i] = result ? result->output : result.error().ToString();
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(outputs[i], std::to_string(i) + "\n");
}

TEST_P(ExecutionContractTest, StopFromAnotherThreadCancelsTheCallThenStops) {
  Result<CodeResult> result = MakeError(ErrorCode::kInternal, "not run");
  std::thread call = StartLongCall(result);
  auto begun = Clock::now();
  EXPECT_TRUE(executor_->Stop());
  call.join();
  EXPECT_LT(Clock::now() - begun, std::chrono::seconds(20)) << "Stop waited for the timeout";
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->status, ExecutionStatus::kCancelled);
  EXPECT_THAT(result->output, HasSubstr("running"));
  auto after = executor_->ExecuteCodeBlocks({{"python", "print(1)"}});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(executor_->Stop());  // idempotent
}

TEST_P(ExecutionContractTest, RestartFromAnotherThreadCancelsTheCallAndTheExecutorGoesOn) {
  Result<CodeResult> result = MakeError(ErrorCode::kInternal, "not run");
  std::thread call = StartLongCall(result);
  EXPECT_TRUE(executor_->Restart());
  call.join();
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->status, ExecutionStatus::kCancelled);
  auto after = executor_->ExecuteCodeBlocks({{"python", "print('again')"}});
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->output, "again\n");
}

INSTANTIATE_TEST_SUITE_P(Executors, ExecutionContractTest,
                         ::testing::Values(Kind::kLocal, Kind::kSandbox, Kind::kDocker,
                                           Kind::kJupyter),
                         [](const ::testing::TestParamInfo<Kind>& param) {
                           return Name(param.param);
                         });

}  // namespace
}  // namespace codeexec
