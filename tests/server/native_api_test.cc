// The native API of the real `codeexec serve`, end to end over HTTP: one-shot executions, NDJSON
// streaming, sessions with files, restart, delete, a disconnect that cancels, metrics.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "serve_harness.h"
#include "testing/test_util.h"

namespace codeexec::testing {
namespace {

using nlohmann::json;

class NativeApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_root_ = new TempDir("serve-api");
    server_ = new ServeProcess({"--allow-executors", "local", "--allow-unisolated", "--work-root",
                                work_root_->path().string(), "--session-idle-timeout", "60"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete work_root_;
  }

  json Post(HttpClient& client, const std::string& target, const json& body, int expect = 200) {
    auto reply = client.Request("POST", target, body.dump());
    EXPECT_EQ(reply.status, expect) << reply.body;
    return reply.body.empty() ? json() : json::parse(reply.body);
  }

  std::string NewSession(HttpClient& client, const json& body) {
    return Post(client, "/v1/sessions", body, 201)["id"].get<std::string>();
  }

  static TempDir* work_root_;
  static ServeProcess* server_;
};
TempDir* NativeApiTest::work_root_ = nullptr;
ServeProcess* NativeApiTest::server_ = nullptr;

TEST_F(NativeApiTest, HealthNeedsNoToken) {
  HttpClient anonymous(server_->port(), "");
  auto reply = anonymous.Request("GET", "/v1/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(json::parse(reply.body)["status"], "ok");
}

TEST_F(NativeApiTest, LanguagesAndExecutorsAreListed) {
  HttpClient client = server_->Client();
  json languages = json::parse(client.Request("GET", "/v1/languages").body);
  bool python = false;
  for (const json& language : languages) python |= language["name"] == "python";
  EXPECT_TRUE(python);
  json executors = json::parse(client.Request("GET", "/v1/executors").body);
  ASSERT_EQ(executors.size(), 2u) << executors;
  EXPECT_EQ(executors[0]["name"], "sandbox");
  EXPECT_TRUE(executors[0]["default"]);
  EXPECT_TRUE(executors[0]["isolated"]);
  EXPECT_EQ(executors[1]["name"], "local");
  EXPECT_FALSE(executors[1]["isolated"]);
}

TEST_F(NativeApiTest, OneShotRunsInTheSandboxByDefault) {
  HttpClient client = server_->Client();
  json result = Post(client, "/v1/execute", {{"language", "python"}, {"code", "print(6 * 7)"}});
  EXPECT_EQ(result["executor"], "sandbox");
  EXPECT_EQ(result["exit_code"], 0);
  EXPECT_EQ(result["output"], "42\n");
  ASSERT_EQ(result["blocks"].size(), 1u);
  EXPECT_EQ(result["blocks"][0]["status"], "ok");
}

TEST_F(NativeApiTest, OneShotTakesBlocksMessageFilesAndFetch) {
  HttpClient client = server_->Client();
  json result = Post(
      client, "/v1/execute",
      {{"message",
        "```python\nprint(open('in.txt').read())\nopen('out.bin','wb').write(b'\\x00\\x01')\n```"},
       {"files", {{{"path", "in.txt"}, {"content", "aGVsbG8="}, {"encoding", "base64"}}}},
       {"fetch", {"out.bin"}}});
  EXPECT_EQ(result["output"], "hello\n");
  ASSERT_EQ(result["fetched"].size(), 1u);
  EXPECT_EQ(result["fetched"][0]["content"], "AAE=");
  json blocks = Post(client, "/v1/execute",
                     {{"blocks",
                       {{{"language", "sh"}, {"code", "echo a"}},
                        {{"language", "python"}, {"code", "print('b')"}}}}});
  EXPECT_EQ(blocks["output"], "a\nb\n");
  EXPECT_EQ(blocks["blocks"].size(), 2u);
}

TEST_F(NativeApiTest, TimeoutKeepsOutputAndReportsIt) {
  HttpClient client = server_->Client();
  json result = Post(client, "/v1/execute",
                     {{"language", "python"},
                      {"code", "import time\nprint('before', flush=True)\ntime.sleep(60)"},
                      {"timeout", 1}});
  EXPECT_EQ(result["status"], "timeout");
  EXPECT_EQ(result["exit_code"], 124);
  EXPECT_TRUE(result["output"].get<std::string>().starts_with("before\n")) << result;
}

TEST_F(NativeApiTest, NdjsonStreamsEventsBeforeTheRunEndsThenTheResult) {
  HttpClient client = server_->Client();
  HttpClient files = server_->Client();
  // A local session: a sandboxed run sees the host's changes to its work folder only after the
  // run (its writes go to an upper layer), so the gate below would never open there.
  std::string id = NewSession(client, {{"executor", "local"}});
  // The code waits for a file that the test writes only once it has seen the first line: the
  // run can only end if that line was streamed while the code still ran.
  std::string code =
      "import os, time\nprint('ready', flush=True)\n"
      "while not os.path.exists('go'):\n    time.sleep(0.01)\nprint('done')";
  // The line may come in more than one event (an unbuffered interpreter writes "ready" and its
  // newline apart), so the gate opens on what has arrived so far.
  std::vector<json> lines;
  std::string so_far;
  bool opened = false;
  client.Stream("/v1/sessions/" + id + "/execute",
                json{{"language", "python"}, {"code", code}, {"timeout", 60}}.dump(),
                [&](const std::string& line) {
                  lines.push_back(json::parse(line));
                  if (lines.back()["type"] == "stdout") so_far += lines.back()["text"];
                  if (!opened && so_far == "ready\n") {
                    opened = true;
                    EXPECT_EQ(files.Request("PUT", "/v1/sessions/" + id + "/files/go", "").status,
                              200);
                  }
                  return true;
                });
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines.front()["type"], "block_start");
  EXPECT_EQ(lines[lines.size() - 2]["type"], "block_end");
  ASSERT_EQ(lines.back()["type"], "result");
  EXPECT_EQ(lines.back()["result"]["output"], "ready\ndone\n");
  std::string streamed;
  for (const json& line : lines) {
    if (line["type"] == "stdout" || line["type"] == "stderr") streamed += line["text"];
  }
  EXPECT_EQ(streamed, "ready\ndone\n");
  client.Request("DELETE", "/v1/sessions/" + id);
}

TEST_F(NativeApiTest, NdjsonFromTheSandboxHasEveryEventInOrder) {
  HttpClient client = server_->Client();
  std::vector<json> lines;
  client.Stream("/v1/execute",
                json{{"blocks",
                      {{{"language", "sh"}, {"code", "echo one; echo two >&2"}},
                       {{"language", "python"}, {"code", "print('three')"}}}}}
                    .dump(),
                [&](const std::string& line) {
                  lines.push_back(json::parse(line));
                  return true;
                });
  std::vector<std::string> types;
  std::string out, err;
  for (const json& line : lines) {
    std::string type = line["type"];
    if (type == "stdout") out += line["text"];
    if (type == "stderr") err += line["text"];
    if (type != "stdout" && type != "stderr") types.push_back(type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"block_start", "block_end", "block_start", "block_end",
                                             "result"}));
  EXPECT_EQ(out, "one\nthree\n");
  EXPECT_EQ(err, "two\n");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["result"]["executor"], "sandbox");
  EXPECT_EQ(lines.back()["result"]["blocks"].size(), 2u);
}

TEST_F(NativeApiTest, SessionKeepsItsWorkFolderAndFiles) {
  HttpClient client = server_->Client();
  std::string id = NewSession(client, {{"executor", "sandbox"}});
  EXPECT_EQ(id.size(), 32u);
  std::string base = "/v1/sessions/" + id;
  EXPECT_EQ(client.Request("PUT", base + "/files/data/in.txt", "from the client").status, 200);
  json first =
      Post(client, base + "/execute",
           {{"language", "python"},
            {"code", "print(open('data/in.txt').read())\nopen('made.txt','w').write('x')"}});
  EXPECT_EQ(first["output"], "from the client\n");
  json second = Post(client, base + "/execute", {{"language", "sh"}, {"code", "cat made.txt"}});
  EXPECT_EQ(second["output"], "x");
  auto read = client.Request("GET", base + "/files/made.txt");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "x");
  json listing = json::parse(client.Request("GET", base + "/files").body);
  std::set<std::string> names;
  for (const json& entry : listing["entries"]) names.insert(entry["path"]);
  EXPECT_TRUE(names.count("made.txt") && names.count("data")) << listing;
  json described = json::parse(client.Request("GET", base).body);
  EXPECT_EQ(described["executor"], "sandbox");
  bool listed = false;
  for (const json& session : json::parse(client.Request("GET", "/v1/sessions").body)) {
    listed |= session["id"] == id;
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(client.Request("POST", base + "/restart").status, 200);
  EXPECT_EQ(client.Request("GET", base + "/files/made.txt").body, "x");  // files survive restart
  EXPECT_EQ(client.Request("DELETE", base).status, 204);
  EXPECT_EQ(client.Request("GET", base).status, 404);
  EXPECT_EQ(
      client.Request("POST", base + "/execute", R"j({"language":"sh","code":"true"})j").status,
      404);
}

// Reads the pid a session's code wrote, once it is there.
pid_t WaitForPid(HttpClient& client, const std::string& id) {
  pid_t pid = 0;
  Eventually([&] {
    auto reply = client.Request("GET", "/v1/sessions/" + id + "/files/pid");
    if (reply.status != 200 || reply.body.empty()) return false;
    pid = std::stoi(reply.body);
    return true;
  });
  return pid;
}

constexpr const char* kWritePidAndWait =
    "import os, time\nopen('pid.tmp','w').write(str(os.getpid()))\nos.rename('pid.tmp','pid')\n"
    "print('started', flush=True)\ntime.sleep(600)";

TEST_F(NativeApiTest, ClientThatDisconnectsCancelsItsExecution) {
  HttpClient client = server_->Client();
  HttpClient other = server_->Client();
  std::string id = NewSession(client, {{"executor", "local"}});
  client.Stream("/v1/sessions/" + id + "/execute",
                json{{"language", "python"}, {"code", kWritePidAndWait}}.dump(),
                [](const std::string& line) { return line.find("started") == std::string::npos; });
  // The connection is closed now.
  pid_t pid = WaitForPid(other, id);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Eventually([&] { return ProcessIsDead(pid); }));
  // The session is free again for the next call.
  EXPECT_TRUE(Eventually([&] {
    return json::parse(other.Request("GET", "/v1/sessions/" + id).body)["running"] == 0;
  }));
  json next =
      Post(other, "/v1/sessions/" + id + "/execute", {{"language", "sh"}, {"code", "echo again"}});
  EXPECT_EQ(next["output"], "again\n");
  std::string metrics = other.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("status=\"cancelled\""), std::string::npos) << metrics;
  other.Request("DELETE", "/v1/sessions/" + id);
}

TEST_F(NativeApiTest, DeleteCancelsWhatRunsAndFreesTheFolder) {
  HttpClient client = server_->Client();
  HttpClient other = server_->Client();
  std::string id = NewSession(client, {{"executor", "local"}});
  std::thread running([&] {
    auto reply = client.Request("POST", "/v1/sessions/" + id + "/execute",
                                json{{"language", "python"}, {"code", kWritePidAndWait}}.dump());
    // Either the cancelled result, or "the session was deleted".
    EXPECT_TRUE(reply.status == 200 || reply.status == 404) << reply.body;
    if (reply.status == 200) {
      EXPECT_EQ(json::parse(reply.body)["status"], "cancelled");
    }
  });
  pid_t pid = WaitForPid(other, id);
  ASSERT_GT(pid, 0);
  // A local session's code runs in its work folder on this host.
  std::error_code ec;
  std::string cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  ASSERT_FALSE(cwd.empty());
  ASSERT_TRUE(cwd.starts_with(work_root_->path().string())) << cwd;
  EXPECT_EQ(other.Request("DELETE", "/v1/sessions/" + id).status, 204);
  running.join();
  EXPECT_TRUE(ProcessIsDead(pid));
  EXPECT_FALSE(std::filesystem::exists(cwd));
}

TEST_F(NativeApiTest, IdleSessionExpiresAndIsFreed) {
  HttpClient client = server_->Client();
  std::string id = NewSession(client, {{"idle_timeout", 1}});
  EXPECT_TRUE(
      Eventually([&] { return client.Request("GET", "/v1/sessions/" + id).status == 404; }));
  auto reply = client.Request("POST", "/v1/sessions/" + id + "/execute",
                              R"j({"language":"sh","code":"true"})j");
  EXPECT_EQ(reply.status, 404);
  EXPECT_NE(reply.body.find("expired"), std::string::npos) << reply.body;
}

TEST_F(NativeApiTest, IdleTimeoutAboveTheServersIsRefused) {
  HttpClient client = server_->Client();
  auto reply = client.Request("POST", "/v1/sessions", R"j({"idle_timeout": 100000})j");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("idle_timeout"), std::string::npos) << reply.body;
}

TEST_F(NativeApiTest, MetricsArePrometheusText) {
  HttpClient client = server_->Client();
  Post(client, "/v1/execute", {{"language", "sh"}, {"code", "true"}});
  auto reply = client.Request("GET", "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.Header("content-type").starts_with("text/plain"))
      << reply.Header("content-type");
  for (const char* family :
       {"# TYPE codeexec_http_requests_total counter", "# TYPE codeexec_executions_total counter",
        "codeexec_queue_length", "codeexec_sessions",
        "# TYPE codeexec_execution_duration_seconds histogram"}) {
    EXPECT_NE(reply.body.find(family), std::string::npos) << family << "\n" << reply.body;
  }
  EXPECT_NE(reply.body.find("route=\"/v1/execute\""), std::string::npos);
  EXPECT_NE(reply.body.find("executor=\"sandbox\""), std::string::npos);
}

}  // namespace
}  // namespace codeexec::testing
