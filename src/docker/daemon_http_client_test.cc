// DaemonHttpClient's bounds against a daemon that accepts connections and never answers: a
// cancellation ends the call at once, whatever the call's own timeout (a minute here, so that a
// call the cancellation did not end fails with "did not answer in time" instead).
#include "docker/daemon_http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "codeexec/cancellation.h"
#include "process/unique_fd.h"
#include "testing/test_util.h"

namespace codeexec::docker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A Unix socket that accepts every connection, reads nothing and answers nothing.
class SilentDaemon {
 public:
  SilentDaemon() {
    path_ = (dir_.path() / "docker.sock").string();
    listener_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listener_.get(), 8) != 0) {
      ADD_FAILURE() << "cannot listen on " << path_;
    }
    accepting_ = std::thread([this] {
      for (;;) {
        int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0 || stopping_) {
          if (fd >= 0) close(fd);
          return;
        }
        held_.emplace_back(fd);
      }
    });
  }
  ~SilentDaemon() {
    stopping_ = true;
    // Wakes the accept with one last connection.
    UniqueFd wake(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    connect(wake.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
    accepting_.join();
  }

  DockerEndpoint endpoint() const { return {"unix://" + path_, path_, false, "", ""}; }

 private:
  testing::TempDir dir_{"silent-daemon"};
  std::string path_;
  UniqueFd listener_;
  std::atomic<bool> stopping_{false};
  std::vector<UniqueFd> held_;
  std::thread accepting_;
};

// Cancels `token` from another thread once the call under test has had time to start waiting.
class CancelSoon {
 public:
  explicit CancelSoon(CancellationToken token)
      : thread_([token] {
          std::this_thread::sleep_for(100ms);
          token.Cancel();
        }) {}
  ~CancelSoon() { thread_.join(); }

 private:
  std::thread thread_;
};

TEST(DaemonHttpClientTest, ARequestEndsWhenItsBoundIsCancelled) {
  SilentDaemon daemon;
  DaemonHttpClient client(daemon.endpoint());
  CancellationToken cancel;
  client.set_bound({std::chrono::steady_clock::time_point::max(), cancel.wait_fd()});
  CancelSoon soon(cancel);
  auto response = client.Request({"GET", "/_ping", "", ""}, 1min);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::kTimeout);
  EXPECT_THAT(response.error().message(), HasSubstr("was cancelled"));
}

TEST(DaemonHttpClientTest, ARequestAfterCancellationDoesNotWait) {
  SilentDaemon daemon;
  DaemonHttpClient client(daemon.endpoint());
  CancellationToken cancel;
  cancel.Cancel();
  client.set_bound({std::chrono::steady_clock::time_point::max(), cancel.wait_fd()});
  auto response = client.Download({"GET", "/containers/x/archive", "", ""}, 1min,
                                  [](std::string_view) { return Result<void>(); });
  ASSERT_FALSE(response);
  EXPECT_THAT(response.error().message(), HasSubstr("was cancelled"));
}

TEST(DaemonHttpClientTest, AStreamWhoseHeaderNeverComesEndsAsCancelled) {
  SilentDaemon daemon;
  DaemonHttpClient client(daemon.endpoint());
  CancellationToken cancel;
  StreamControl control;
  control.cancel_fd = cancel.wait_fd();
  CancelSoon soon(cancel);
  auto result = client.Stream({"POST", "/exec/x/start", "{}", "application/json"}, 1min, control,
                              [](std::string_view) {});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->end, StreamEnd::kCancelled);
}

}  // namespace
}  // namespace codeexec::docker
