#include "mcp/stdio_transport.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <string>

namespace codeexec::mcp {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// `codeexec mcp` over two pipes, with the local executor (this test runs Python as itself).
class StdioTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service::ServiceOptions options;
    options.policy.default_executor = "local";
    options.policy.allow_unisolated = true;
    options.ready_executors = 0;
    options.check_default_executor = false;
    auto created = service::Service::Create(std::move(options));
    ASSERT_TRUE(created) << created.error().message();
    service_ = std::move(*created);
    blocking_ = std::make_unique<service::WorkQueue>(service::WorkQueue::Options{2, 64, "MCP"});
    context_ = std::make_unique<McpContext>(*service_, *blocking_);
    ASSERT_EQ(pipe2(in_, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out_, O_CLOEXEC), 0);
    served_ = std::async(std::launch::async, [this] {
      StdioOptions stdio;
      stdio.max_message_bytes = 4096;
      return ServeStdio(*context_, in_[0], out_[1], stop_, stdio);
    });
  }

  void TearDown() override {
    CloseInput();
    if (served_.valid()) served_.get();
    service_->Shutdown(std::chrono::milliseconds(0));
    blocking_->Close();
    for (int fd : {in_[0], out_[0], out_[1]}) close(fd);
  }

  void Send(const std::string& line) {
    std::string data = line + "\n";
    ASSERT_EQ(write(in_[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void CloseInput() {
    if (in_[1] >= 0) close(in_[1]);
    in_[1] = -1;
  }
  // The next message the server wrote.
  json Receive() {
    std::string line;
    char c;
    while (read(out_[0], &c, 1) == 1 && c != '\n') line += c;
    return json::parse(line);
  }
  // Messages until the response to `id`, which is returned; notifications go to `notes`.
  json ResponseTo(const json& id, std::vector<json>* notes = nullptr) {
    for (;;) {
      json message = Receive();
      if (message.contains("id") && message["id"] == id) return message;
      if (notes) notes->push_back(message);
    }
  }
  void Initialize() {
    Send(
        R"j({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})j");
    ASSERT_EQ(ResponseTo(0)["result"]["protocolVersion"], "2025-06-18");
    Send(R"j({"jsonrpc":"2.0","method":"notifications/initialized"})j");
  }

  std::unique_ptr<service::Service> service_;
  std::unique_ptr<service::WorkQueue> blocking_;
  std::unique_ptr<McpContext> context_;
  CancellationToken stop_;
  int in_[2] = {-1, -1};
  int out_[2] = {-1, -1};
  std::future<Result<void>> served_;
};

TEST_F(StdioTransportTest, BadMessagesGetTheirErrorsAndTheSessionGoesOn) {
  Send("{not json");
  EXPECT_EQ(Receive()["error"]["code"], kParseError);
  Send(std::string(5000, 'x'));
  EXPECT_EQ(Receive()["error"]["code"], kInvalidRequest);
  Send(R"j({"jsonrpc":"2.0","id":1,"method":"resources/list"})j");
  EXPECT_EQ(ResponseTo(1)["error"]["code"], kMethodNotFound);
  Initialize();
  Send(R"j({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope"}})j");
  EXPECT_EQ(ResponseTo(2)["error"]["code"], kInvalidParams);
  Send(
      R"j({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"run_code","arguments":{"code":"1"}}})j");
  EXPECT_EQ(ResponseTo(3)["error"]["code"], kInvalidParams);
  Send(R"j({"jsonrpc":"2.0","id":4,"method":"ping"})j");
  EXPECT_EQ(ResponseTo(4)["result"], json::object());
}

TEST_F(StdioTransportTest, OlderRevisionsAreSpokenWithoutOutputSchemas) {
  Send(
      R"j({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05"}})j");
  EXPECT_EQ(ResponseTo(0)["result"]["protocolVersion"], "2024-11-05");
  Send(R"j({"jsonrpc":"2.0","id":1,"method":"tools/list"})j");
  json tools = ResponseTo(1)["result"]["tools"];
  ASSERT_FALSE(tools.empty());
  EXPECT_FALSE(tools[0].contains("outputSchema"));
}

TEST_F(StdioTransportTest, RunsCodeStreamsItsOutputAndEndsTheSessionWithTheInput) {
  Initialize();
  Send(
      R"j({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"run_code","_meta":{"progressToken":"p"},"arguments":{"language":"python","code":"print('hello')\nx = 1"}}})j");
  std::vector<json> notes;
  json result = ResponseTo(5, &notes)["result"];
  EXPECT_EQ(result["isError"], false);
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(), HasSubstr("hello"));
  EXPECT_EQ(result["structuredContent"]["exit_code"], 0);
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes[0]["method"], "notifications/progress");
  EXPECT_EQ(notes[0]["params"]["progressToken"], "p");
  Send(
      R"j({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"run_code","arguments":{"language":"python","code":"raise SystemExit(3)"}}})j");
  EXPECT_EQ(ResponseTo(6)["result"]["isError"], true);
  EXPECT_EQ(service_->session_count(), 1u);
  CloseInput();
  EXPECT_TRUE(served_.get());
  EXPECT_EQ(service_->session_count(), 0u);
}

TEST_F(StdioTransportTest, CancellationEndsTheCallWithoutAResponse) {
  Initialize();
  Send(
      R"j({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_code","_meta":{"progressToken":1},"arguments":{"language":"python","code":"print('started', flush=True)\nimport time\ntime.sleep(60)"}}})j");
  json note = Receive();  // the first output: the code runs
  EXPECT_EQ(note["method"], "notifications/progress");
  Send(
      R"j({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}})j");
  Send(R"j({"jsonrpc":"2.0","id":8,"method":"ping"})j");
  // Nothing about call 7 comes: the next message is the ping's answer.
  json next = Receive();
  while (next.value("method", "") == "notifications/progress") next = Receive();
  EXPECT_EQ(next["id"], 8);
}

}  // namespace
}  // namespace codeexec::mcp
