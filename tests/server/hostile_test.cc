// Hostile clients and unsafe operators against the real `codeexec serve`: tokens, DNS rebinding,
// oversized and malformed bodies, slow clients, path escapes, guessed ids, full queues and
// session tables, and the options a server refuses to start with.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "serve_harness.h"
#include "testing/test_util.h"

namespace codeexec::testing {
namespace {

using nlohmann::json;

// A raw TCP connection for what a well-behaved HTTP client would not send.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect");
    }
    timeval bound{60, 0};  // a bound against a hang, not a timing assertion
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  }
  ~RawConnection() { close(fd_); }
  void Send(std::string_view bytes) {
    [[maybe_unused]] auto sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // Everything until the server closes the connection.
  std::string ReadAll() {
    std::string out;
    char buffer[4096];
    ssize_t got;
    while ((got = recv(fd_, buffer, sizeof buffer, 0)) > 0) out.append(buffer, got);
    return out;
  }

 private:
  int fd_ = -1;
};

class HostileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServeProcess({"--executor", "local", "--allow-unisolated", "--max-body", "4096",
                                "--max-sessions", "2", "--max-concurrent", "1", "--max-queue", "1",
                                "--client-timeout", "2", "--ready-executors", "0"});
  }
  static void TearDownTestSuite() { delete server_; }

  static ServeProcess* server_;
};
ServeProcess* HostileTest::server_ = nullptr;

std::string ErrorCode(const HttpReply& reply) {
  return json::parse(reply.body)["error"]["code"].get<std::string>();
}

TEST_F(HostileTest, NoTokenOrAWrongOneIsRefusedAndNothingRuns) {
  TempDir marker_dir("serve-auth");
  std::string marker = (marker_dir.path() / "ran").string();
  std::string body = json{{"language", "sh"}, {"code", "touch " + marker}}.dump();
  HttpClient anonymous(server_->port(), "");
  auto missing = anonymous.Request("POST", "/v1/execute", body);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(ErrorCode(missing), "unauthorized");
  for (const std::string& wrong :
       {std::string("wrong"), server_->token() + "x", server_->token().substr(1), std::string()}) {
    auto reply =
        anonymous.Request("POST", "/v1/execute", body, {{"Authorization", "Bearer " + wrong}});
    EXPECT_EQ(reply.status, 401) << wrong;
  }
  EXPECT_EQ(anonymous.Request("GET", "/v1/sessions").status, 401);
  EXPECT_EQ(anonymous.Request("GET", "/metrics").status, 401);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(HostileTest, BasicCredentialsCarryTheTokenToo) {
  HttpClient anonymous(server_->port(), "");
  // "codeexec:TOKEN" in base64, as a client with credentials in its URL sends it.
  std::string credentials = "codeexec:" + server_->token();
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < credentials.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(credentials[i]) << 16;
    if (i + 1 < credentials.size()) n |= static_cast<uint8_t>(credentials[i + 1]) << 8;
    if (i + 2 < credentials.size()) n |= static_cast<uint8_t>(credentials[i + 2]);
    encoded += kAlphabet[(n >> 18) & 63];
    encoded += kAlphabet[(n >> 12) & 63];
    encoded += i + 1 < credentials.size() ? kAlphabet[(n >> 6) & 63] : '=';
    encoded += i + 2 < credentials.size() ? kAlphabet[n & 63] : '=';
  }
  auto reply =
      anonymous.Request("GET", "/v1/executors", "", {{"Authorization", "Basic " + encoded}});
  EXPECT_EQ(reply.status, 200);
}

TEST_F(HostileTest, ForeignHostOrOriginIsRefusedOnALoopbackServer) {
  HttpClient client = server_->Client();
  auto rebound = client.Request("GET", "/v1/executors", "", {{"Host", "attacker.example:8080"}});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(ErrorCode(rebound), "forbidden");
  auto origin = client.Request("GET", "/v1/executors", "", {{"Origin", "http://attacker.example"}});
  EXPECT_EQ(origin.status, 403);
  auto local_origin =
      client.Request("GET", "/v1/executors", "", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(local_origin.status, 200);
  auto localhost = client.Request("GET", "/v1/executors", "", {{"Host", "localhost"}});
  EXPECT_EQ(localhost.status, 200);
}

TEST_F(HostileTest, OversizedBodyIs413) {
  HttpClient client = server_->Client();
  std::string code(8192, '#');
  auto reply =
      client.Request("POST", "/v1/execute", json{{"language", "sh"}, {"code", code}}.dump());
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(ErrorCode(reply), "too_large");
  // A chunked body has no declared length: it is cut at the limit as it arrives.
  RawConnection raw(server_->port());
  raw.Send("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           server_->token() + "\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk(1000, 'x');
  for (int i = 0; i < 6; ++i) raw.Send(fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk));
  EXPECT_TRUE(raw.ReadAll().starts_with("HTTP/1.1 413"));
}

TEST_F(HostileTest, BadInputOfEveryKindIs400WithAMessage) {
  HttpClient client = server_->Client();
  struct Case {
    std::string body;
    std::string says;
  };
  std::vector<Case> cases = {
      {"{not json", "JSON"},
      {"[]", "object"},
      {R"j({"language":"python"})j", "code"},
      {R"j({"language":5,"code":"print(1)"})j", "language"},
      {R"j({"language":"python","code":"print(1)","timeout":"soon"})j", "timeout"},
      {R"j({"language":"python","code":"print(1)","timout":5})j", "timout"},
      {R"j({"language":"cobol-9000","code":"x"})j", "unknown language"},
      {R"j({"language":"python","code":"print(1)","executor":"nonesuch"})j", "nonesuch"},
      {R"j({"language":"python","code":"print(1)","timeout":0.1})j", "timeout"},
      {R"j({"message":"no fence here"})j", "no code block"},
      {R"j({"language":"python","code":"x","files":[{"path":"a","content":"%%","encoding":"base64"}]})j",
       "base64"},
  };
  for (const Case& c : cases) {
    auto reply = client.Request("POST", "/v1/execute", c.body);
    EXPECT_TRUE(reply.status == 400 || reply.status == 403) << c.body << " -> " << reply.status;
    std::string message = json::parse(reply.body)["error"]["message"];
    EXPECT_NE(message.find(c.says), std::string::npos) << c.body << " -> " << message;
  }
  EXPECT_EQ(client.Request("POST", "/v1/sessions", R"j({"executor":7})j").status, 400);
  EXPECT_EQ(client.Request("GET", "/v1/nothing-here").status, 404);
  EXPECT_EQ(client.Request("DELETE", "/v1/execute").status, 405);
  // The server still answers.
  EXPECT_EQ(client.Request("GET", "/v1/health").status, 200);
}

TEST_F(HostileTest, SlowClientsAreDisconnected) {
  // Headers that never end.
  RawConnection headers(server_->port());
  headers.Send("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  EXPECT_EQ(headers.ReadAll(), "");
  // A body that never comes.
  RawConnection body(server_->port());
  body.Send("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
            server_->token() + "\r\nContent-Length: 100\r\n\r\n{\"lang");
  EXPECT_EQ(body.ReadAll(), "");
  EXPECT_EQ(server_->Client().Request("GET", "/v1/health").status, 200);
}

TEST_F(HostileTest, FilePathsCannotLeaveTheWorkFolder) {
  HttpClient client = server_->Client();
  auto created = client.Request("POST", "/v1/sessions", "{}");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string base = "/v1/sessions/" + json::parse(created.body)["id"].get<std::string>();
  // A link made by the code, pointing out of the folder.
  auto linked =
      client.Request("POST", base + "/execute",
                     R"j({"language":"sh","code":"ln -s /etc escape && ln -s /etc/passwd pw"})j");
  ASSERT_EQ(linked.status, 200) << linked.body;
  for (const std::string& path :
       {std::string("/files/..%2F..%2Fetc%2Fpasswd"), std::string("/files/%2Fetc%2Fpasswd"),
        std::string("/files/escape/passwd"), std::string("/files/pw"),
        std::string("/files/a/../../x")}) {
    auto read = client.Request("GET", base + path);
    EXPECT_TRUE(read.status == 400 || read.status == 403 || read.status == 404)
        << path << " -> " << read.status << " " << read.body;
    EXPECT_EQ(read.body.find("root:"), std::string::npos) << path;
  }
  auto written = client.Request("PUT", base + "/files/escape/owned", "x");
  EXPECT_NE(written.status, 200) << written.body;
  EXPECT_FALSE(std::filesystem::exists("/etc/owned"));
  auto listing = client.Request("GET", base + "/files?path=escape");
  EXPECT_NE(listing.status, 200) << listing.body;
  client.Request("DELETE", base);
}

TEST_F(HostileTest, GuessedSessionIdsFindNothing) {
  HttpClient client = server_->Client();
  for (const std::string& id :
       {std::string(32, '0'), std::string("1"), std::string("../x"), std::string(64, 'f')}) {
    auto reply = client.Request("GET", "/v1/sessions/" + id);
    EXPECT_EQ(reply.status, 404) << id;
    EXPECT_EQ(client
                  .Request("POST", "/v1/sessions/" + id + "/execute",
                           R"j({"language":"sh","code":"true"})j")
                  .status,
              404);
  }
}

TEST_F(HostileTest, TooManySessionsIs429WithRetryAfter) {
  HttpClient client = server_->Client();
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto created = client.Request("POST", "/v1/sessions", "{}");
    ASSERT_EQ(created.status, 201) << created.body;
    ids.push_back(json::parse(created.body)["id"]);
  }
  auto refused = client.Request("POST", "/v1/sessions", "{}");
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(refused.Header("retry-after").empty());
  EXPECT_EQ(ErrorCode(refused), "busy");
  for (const auto& id : ids) EXPECT_EQ(client.Request("DELETE", "/v1/sessions/" + id).status, 204);
  EXPECT_EQ(client.Request("POST", "/v1/sessions", "{}").status, 201);
  for (const json& session : json::parse(client.Request("GET", "/v1/sessions").body)) {
    client.Request("DELETE", "/v1/sessions/" + session["id"].get<std::string>());
  }
}

// A gauge of the server's /metrics ("codeexec_queue_length"), or -1.
long Gauge(HttpClient& client, const std::string& name) {
  std::smatch match;
  std::string metrics = client.Request("GET", "/metrics").body;
  if (!std::regex_search(metrics, match, std::regex("\n" + name + " (\\d+)\n"))) return -1;
  return std::stol(match[1]);
}

// Waits until `gauge` reads `value`; a bound against hangs, not a timing assertion.
bool GaugeReaches(HttpClient& client, const std::string& gauge, long value) {
  for (int attempt = 0; attempt < 3000; ++attempt) {
    if (Gauge(client, gauge) == value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(HostileTest, FullQueueIs429WithRetryAfter) {
  // One running, one queued (--max-concurrent 1 --max-queue 1): the next is refused at once.
  TempDir gate("serve-queue");
  std::string wait = "while [ ! -e " + (gate.path() / "go").string() + " ]; do sleep 0.01; done";
  std::string body = json{{"language", "sh"}, {"code", wait}}.dump();
  std::vector<std::thread> holders;
  std::atomic<int> ok{0};
  auto hold = [&] {
    holders.emplace_back([&] {
      HttpClient client = server_->Client();
      if (client.Request("POST", "/v1/execute", body).status == 200) ++ok;
    });
  };
  HttpClient client = server_->Client();
  hold();
  EXPECT_TRUE(GaugeReaches(client, "codeexec_executions_running", 1));
  hold();
  EXPECT_TRUE(GaugeReaches(client, "codeexec_queue_length", 1));
  HttpReply refused = client.Request("POST", "/v1/execute", body);
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(refused.Header("retry-after").empty());
  EXPECT_EQ(ErrorCode(refused), "busy");
  std::ofstream(gate.path() / "go").put('x');
  for (auto& holder : holders) holder.join();
  EXPECT_EQ(ok.load(), 2);
}

TEST(ServeOptionsTest, LocalExecutorNeedsAllowUnisolated) {
  auto [status, message] = ServeRefusal({"--listen", "127.0.0.1:0", "--executor", "local"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(message.find("--allow-unisolated"), std::string::npos) << message;
}

TEST(ServeOptionsTest, NoAuthOnlyOnLoopback) {
  auto [status, message] = ServeRefusal({"--listen", "0.0.0.0:0", "--no-auth"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(message.find("loopback"), std::string::npos) << message;
}

TEST(ServeOptionsTest, NoAuthOnLoopbackServesWithoutAToken) {
  ServeProcess server({"--no-auth", "--executor", "local", "--allow-unisolated"}, "");
  HttpClient client(server.port(), "");
  EXPECT_EQ(client.Request("GET", "/v1/executors").status, 200);
}

TEST(ServeOptionsTest, ARandomTokenIsMadeAndPrintedWhenNoneIsGiven) {
  unsetenv("CODEEXEC_TOKEN");
  ServeProcess server({"--executor", "local", "--allow-unisolated"}, "");
  std::smatch match;
  std::string banner = server.banner();
  ASSERT_TRUE(std::regex_search(banner, match, std::regex("token: ([0-9a-f]{64})"))) << banner;
  EXPECT_EQ(HttpClient(server.port(), match[1]).Request("GET", "/v1/executors").status, 200);
  EXPECT_EQ(HttpClient(server.port(), "").Request("GET", "/v1/executors").status, 401);
}

TEST(ServeOptionsTest, AListenAddressThatIsNoneIsAUsageError) {
  auto [status, message] = ServeRefusal({"--listen", "not-an-address"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(message.find("--listen"), std::string::npos) << message;
}

}  // namespace
}  // namespace codeexec::testing
