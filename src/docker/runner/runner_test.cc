// codeexec-runner on this host (not as a container's PID 1, so its kills reach the block's process
// group only), driven through pipes with the frames of protocol.h: the embedded program itself,
// as RunnerOnHost() writes it out for containers.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "docker/runner/protocol.h"
#include "docker/runner_binary.h"
#include "testing/test_util.h"

extern char** environ;

namespace codeexec::docker::runner {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Frame {
  FrameType type;
  std::string payload;
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto program = RunnerOnHost();
    ASSERT_TRUE(program) << program.error().message();
    int in[2], out[2];
    ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string path = program->string();
    char* argv[] = {path.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    to_runner_ = in[1];
    from_runner_ = out[0];
    auto hello = Next();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->type, FrameType::kHello);
    EXPECT_EQ(GetU32(hello->payload.data()), kProtocolVersion);
  }

  void TearDown() override {
    if (to_runner_ >= 0) close(to_runner_);
    close(from_runner_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

  void Send(FrameType type, std::string_view payload = "") {
    std::string frame;
    AppendFrame(frame, type, payload);
    ASSERT_EQ(write(to_runner_, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  }

  void Run(std::vector<std::string> argv, std::vector<std::string> env = {}, std::string cwd = "") {
    Send(FrameType::kRun, RunRequest{std::move(argv), std::move(env), std::move(cwd)}.Encode());
  }

  // The next frame, or nothing after 10 s or at the end of the runner's output.
  std::optional<Frame> Next() {
    while (queued_.empty()) {
      pollfd readable{from_runner_, POLLIN, 0};
      if (poll(&readable, 1, 10000) <= 0) return std::nullopt;
      char buffer[4096];
      ssize_t n = read(from_runner_, buffer, sizeof(buffer));
      if (n <= 0) return std::nullopt;
      bool ok = decoder_.Feed(std::string_view(buffer, static_cast<std::size_t>(n)),
                              [&](FrameType type, std::string_view payload) {
                                queued_.push_back({type, std::string(payload)});
                              });
      if (!ok) return std::nullopt;
    }
    Frame frame = std::move(queued_.front());
    queued_.pop_front();
    return frame;
  }

  // Output frames up to the block's end: stdout, stderr, and the exit report (or the failure).
  struct Block {
    std::string out, err;
    std::optional<ExitReport> exit;
    std::optional<uint32_t> failure;
  };
  Block Finish() {
    Block block;
    while (auto frame = Next()) {
      if (frame->type == FrameType::kStdout) block.out += frame->payload;
      if (frame->type == FrameType::kStderr) block.err += frame->payload;
      if (frame->type == FrameType::kExit) {
        block.exit.emplace();
        EXPECT_TRUE(block.exit->Decode(frame->payload));
        break;
      }
      if (frame->type == FrameType::kFailed) {
        block.failure = GetU32(frame->payload.data());
        break;
      }
    }
    return block;
  }

  pid_t pid_ = -1;
  int to_runner_ = -1, from_runner_ = -1;
  FrameDecoder decoder_;
  std::deque<Frame> queued_;
};

TEST_F(RunnerTest, RunsABlockForwardsItsOutputAndReportsItsExit) {
  Run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  Block block = Finish();
  EXPECT_EQ(block.out, "out\n");
  EXPECT_EQ(block.err, "err\n");
  ASSERT_TRUE(block.exit);
  EXPECT_EQ(block.exit->exit_code, 3u);
  // The next block runs on the same runner.
  Run({"/bin/echo", "again"});
  EXPECT_EQ(Finish().out, "again\n");
}

TEST_F(RunnerTest, TheBlockGetsItsEnvironmentWorkingFolderAndEmptyInput) {
  Run({"sh", "-c", "echo $GREETING; pwd; cat; echo end"}, {"GREETING=hello"}, "/usr");
  Block block = Finish();
  EXPECT_EQ(block.out, "hello\n/usr\nend\n");
  ASSERT_TRUE(block.exit);
  EXPECT_EQ(block.exit->exit_code, 0u);
}

TEST_F(RunnerTest, AProgramThatCannotStartIsReportedWithItsErrno) {
  Run({"codeexec-no-such-program"});
  Block block = Finish();
  ASSERT_TRUE(block.failure);
  EXPECT_EQ(*block.failure, static_cast<uint32_t>(ENOENT));
  Run({"sh", "-c", "true"}, {}, "/no/such/folder");
  EXPECT_EQ(Finish().failure, std::optional<uint32_t>(ENOENT));
}

TEST_F(RunnerTest, ProcessesABlockLeavesBehindAreKilledWhenItEnds) {
  Run({"sh", "-c", "sleep 300 & echo $!"});
  Block block = Finish();
  ASSERT_TRUE(block.exit);
  EXPECT_EQ(block.exit->exit_code, 0u);
  pid_t left = std::stoi(block.out);
  EXPECT_TRUE(testing::ProcessIsDead(left));
}

TEST_F(RunnerTest, AKillRequestEndsTheBlockAndKeepsItsOutput) {
  Run({"sh", "-c", "sleep 300 & echo $!; sleep 300"});
  auto started = Next();
  ASSERT_TRUE(started);
  ASSERT_EQ(started->type, FrameType::kStdout);
  pid_t background = std::stoi(started->payload);
  Send(FrameType::kKill);
  Block block = Finish();
  ASSERT_TRUE(block.exit);
  EXPECT_EQ(block.exit->exit_code, 128u + SIGKILL);
  EXPECT_TRUE(testing::ProcessIsDead(background));
}

TEST_F(RunnerTest, EndOfInputKillsTheBlockAndEndsTheRunner) {
  Run({"sh", "-c", "echo $$; sleep 300"});
  auto started = Next();
  ASSERT_TRUE(started);
  pid_t block = std::stoi(started->payload);
  close(to_runner_);
  to_runner_ = -1;
  int status = 0;
  ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(testing::ProcessIsDead(block));
}

TEST_F(RunnerTest, SigtermEndsTheRunnerAtOnce) {
  Run({"sleep", "300"});
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status));
}

TEST_F(RunnerTest, ASecondRunWhileABlockRunsIsRefused) {
  Run({"sleep", "300"});
  Run({"true"});
  Block refused = Finish();
  ASSERT_TRUE(refused.failure);
  EXPECT_EQ(*refused.failure, static_cast<uint32_t>(EBUSY));
  Send(FrameType::kKill);
  EXPECT_TRUE(Finish().exit);
}

}  // namespace
}  // namespace codeexec::docker::runner
