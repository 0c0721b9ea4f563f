// A bounded load test of the real `codeexec serve`: 32 concurrent clients, 2,000 requests in all,
// against a small queue. Every request is answered: a result, or 429 with Retry-After when the
// queue is full; nothing else.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve_harness.h"

namespace codeexec::testing {
namespace {

TEST(ServeLoadTest, ThirtyTwoClientsTwoThousandRequestsOnlyResultsAnd429s) {
  ServeProcess server({"--max-concurrent", "4", "--max-queue", "16"});
  constexpr int kClients = 32;
  constexpr int kRequests = 2000;
  std::atomic<int> next{0};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<std::string> unexpected;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client = server.Client();
      while (next++ < kRequests) {
        std::string body =
            nlohmann::json{{"language", "sh"}, {"code", "echo " + std::to_string(c)}}.dump();
        HttpReply reply = client.Request("POST", "/v1/execute", body);
        std::lock_guard lock(mutex);
        ++statuses[reply.status];
        bool ok = reply.status == 200 &&
                  nlohmann::json::parse(reply.body)["output"] == std::to_string(c) + "\n";
        bool busy = reply.status == 429 && !reply.Header("retry-after").empty();
        if (!ok && !busy && unexpected.size() < 5) {
          unexpected.push_back(std::to_string(reply.status) + " " + reply.body);
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  EXPECT_EQ(statuses[200] + statuses[429], kRequests);
  EXPECT_GT(statuses[200], 0);
  // The server is still well: it answers, and nothing is left queued or running.
  HttpClient client = server.Client();
  EXPECT_EQ(client.Request("GET", "/v1/health").status, 200);
  std::string metrics = client.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("codeexec_queue_length 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("codeexec_executions_running 0\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace codeexec::testing
