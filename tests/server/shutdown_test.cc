// What a stopped `codeexec serve` leaves behind: after SIGTERM nothing (no process, no work
// folder); after SIGKILL no process of the code it ran in the sandbox, and a folder that the next
// server to start in the same place removes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve_harness.h"
#include "testing/test_util.h"

namespace codeexec::testing {
namespace {

using nlohmann::json;

// Pids of the processes whose command line holds `marker`.
std::vector<pid_t> ProcessesWith(const std::string& marker) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadWholeFile(entry.path() / "cmdline");
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

bool AllDead(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    if (!ProcessIsDead(pid)) return false;
  }
  return true;
}

// Starts `sleep` processes named by `marker` in a session and in a one-shot execution of the
// server, and waits until they run.
std::vector<pid_t> StartSleepers(ServeProcess& server, const std::string& marker,
                                 std::thread& one_shot) {
  HttpClient client = server.Client();
  auto created = client.Request("POST", "/v1/sessions", "{}");
  EXPECT_EQ(created.status, 201) << created.body;
  std::string id = json::parse(created.body)["id"];
  // `exec -a` names the process after the marker, so that the host can find it.
  std::string code = "exec -a " + marker + " sleep 600";
  std::string body = json{{"language", "bash"}, {"code", code}}.dump();
  std::thread session([&server, id, body] {
    HttpClient c = server.Client();
    try {
      c.Request("POST", "/v1/sessions/" + id + "/execute", body);
    } catch (...) {  // the server went away: expected
    }
  });
  session.detach();
  one_shot = std::thread([&server, body] {
    HttpClient c = server.Client();
    try {
      c.Request("POST", "/v1/execute", body);
    } catch (...) {
    }
  });
  std::vector<pid_t> pids;
  for (int i = 0; i < 3000 && pids.size() < 2; ++i) {
    pids = ProcessesWith(marker);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(pids.size(), 2u);
  return pids;
}

TEST(ServeShutdownTest, SigtermLeavesNoProcessAndNoFolder) {
  TempDir root("serve-term");
  ServeProcess server({"--work-root", root.path().string(), "--shutdown-grace", "1"});
  std::string marker = "codeexec-term-" + std::to_string(getpid());
  std::thread one_shot;
  auto pids = StartSleepers(server, marker, one_shot);
  EXPECT_FALSE(std::filesystem::is_empty(root.path()));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  one_shot.join();
  EXPECT_TRUE(AllDead(pids));
  EXPECT_TRUE(ProcessesWith(marker).empty());
  EXPECT_TRUE(std::filesystem::is_empty(root.path()));  // the server's folder is gone
}

TEST(ServeShutdownTest, SigkillLeavesNoProcessOfTheSandboxedCode) {
  TempDir root("serve-kill");
  ServeProcess server({"--work-root", root.path().string()});
  std::string marker = "codeexec-kill-" + std::to_string(getpid());
  std::thread one_shot;
  auto pids = StartSleepers(server, marker, one_shot);
  server.Stop(SIGKILL);
  one_shot.join();
  // The sandbox's processes die with the server (no waiting init, no orphan).
  for (int i = 0; i < 1000 && !ProcessesWith(marker).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ProcessesWith(marker).empty());
  EXPECT_TRUE(AllDead(pids));
}

TEST(ServeShutdownTest, TheNextServerRemovesTheFolderOfAKilledOne) {
  TempDir root("serve-reclaim");
  std::filesystem::path killed_root;
  {
    ServeProcess server({"--work-root", root.path().string()});
    HttpClient client = server.Client();
    ASSERT_EQ(client.Request("POST", "/v1/sessions", "{}").status, 201);
    server.Stop(SIGKILL);
    for (const auto& entry : std::filesystem::directory_iterator(root.path())) {
      killed_root = entry.path();
    }
  }
  ASSERT_FALSE(killed_root.empty());
  ASSERT_FALSE(std::filesystem::is_empty(killed_root));  // the session's work folder
  // A root is taken for abandoned only once it has not changed for a few seconds (a starting
  // server makes its root, then locks it): age this one instead of waiting.
  timespec old_times[2] = {{0, UTIME_OMIT}, {time(nullptr) - 60, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, killed_root.c_str(), old_times, 0), 0);
  ServeProcess next({"--work-root", root.path().string()});
  EXPECT_FALSE(std::filesystem::exists(killed_root));
  // A live server's root is never taken, however old.
  std::filesystem::path live_root;
  for (const auto& entry : std::filesystem::directory_iterator(root.path())) {
    live_root = entry.path();
  }
  ASSERT_FALSE(live_root.empty());
  ASSERT_EQ(utimensat(AT_FDCWD, live_root.c_str(), old_times, 0), 0);
  ServeProcess third({"--work-root", root.path().string()});
  EXPECT_TRUE(std::filesystem::exists(live_root));
  EXPECT_EQ(next.Client().Request("POST", "/v1/sessions", "{}").status, 201);
}

}  // namespace
}  // namespace codeexec::testing
