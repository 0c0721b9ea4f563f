// jupyter_bench's remote-mode pieces: a jupyter-server of its own, and the floors written with
// nothing but Boost.Beast (blocking calls on the caller's thread) and the v1 frame codec.
//   - bare remote start: POST /api/kernels, open the kernel's channels WebSocket, send one
//     kernel_info_request and read until its reply (the server queues the request until the
//     kernel listens);
//   - raw remote cell: a second WebSocket on the executor's own kernel sends execute_request and
//     reads until the idle status of that request.
// Both set TCP_NODELAY and TCP_QUICKACK as codeexec's client does (see QuickAck()).
#ifndef CODEEXEC_BENCH_JUPYTER_REMOTE_FLOOR_H_
#define CODEEXEC_BENCH_JUPYTER_REMOTE_FLOOR_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "jupyter/message.h"
#include "jupyter/ws_framing.h"

namespace codeexec::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

// One REST call with a fresh connection; throws when the server cannot be reached.
inline std::string RestCall(int port, const std::string& token, http::verb verb,
                            const std::string& target, const std::string& body = "") {
  boost::asio::io_context io;
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  boost::asio::connect(socket, resolver.resolve("127.0.0.1", std::to_string(port)));
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, fmt::format("127.0.0.1:{}", port));
  request.set(http::field::authorization, "token " + token);
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  if (response.result_int() / 100 != 2) {
    throw std::runtime_error(fmt::format("{} {}: HTTP {}", std::string(request.method_string()),
                                         target, response.result_int()));
  }
  return response.body();
}

// A jupyter-server on 127.0.0.1 with a token and a free port, stopped with its kernels at
// destruction.
class BenchServer {
 public:
  BenchServer() {
    char dir[] = "/tmp/codeexec-bench-server-XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = dir;
    port_ = FreePort();
    std::vector<std::string> env_strings = {"JUPYTER_RUNTIME_DIR=" + dir_ + "/runtime",
                                            "JUPYTER_CONFIG_DIR=" + dir_ + "/config",
                                            "JUPYTER_DATA_DIR=" + dir_ + "/data"};
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      std::string_view entry(*e);
      if (!entry.starts_with("MPLBACKEND=") && !entry.starts_with("JUPYTER_")) envp.push_back(*e);
    }
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {"/usr/bin/jupyter-server",
                                     "--ip=127.0.0.1",
                                     fmt::format("--port={}", port_),
                                     "--port-retries=0",
                                     "--no-browser",
                                     "--allow-root",
                                     "--ServerApp.token=" + token_,
                                     "--ServerApp.root_dir=" + dir_};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string log = dir_ + "/server.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw std::runtime_error("cannot start /usr/bin/jupyter-server");
    for (int attempt = 0; attempt < 300; ++attempt) {
      try {
        RestCall(port_, token_, http::verb::get, "/api/kernelspecs");
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    throw std::runtime_error("jupyter-server did not answer; see " + log);
  }
  ~BenchServer() {
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, WNOHANG);
    std::filesystem::remove_all(dir_);
  }
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;

  int port() const { return port_; }
  const std::string& token() const { return token_; }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
  }

  std::string dir_;
  std::string token_ = "codeexec-bench-token";
  int port_ = 0;
  pid_t pid_ = -1;
};

// A blocking v1 WebSocket client on one remote kernel.
class RawWebSocketClient {
 public:
  RawWebSocketClient(const BenchServer& server, const std::string& kernel_id) : ws_(io_) {
    tcp::resolver resolver(io_);
    boost::asio::connect(ws_.next_layer(),
                         resolver.resolve("127.0.0.1", std::to_string(server.port())));
    ws_.next_layer().set_option(tcp::no_delay(true));
    std::string token = server.token();
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
      request.set(http::field::authorization, "token " + token);
      request.set(http::field::sec_websocket_protocol, std::string(jupyter::kV1Subprotocol));
    }));
    ws_.handshake(fmt::format("127.0.0.1:{}", server.port()),
                  fmt::format("/api/kernels/{}/channels?session_id={}", kernel_id, session_.id()));
    ws_.binary(true);
  }

  // Sends `request` on shell and reads until `done` accepts a message.
  template <typename Done>
  void Exchange(const jupyter::Message& request, Done done) {
    ws_.write(boost::asio::buffer(jupyter::EncodeV1Frame(jupyter::Channel::kShell, request)));
    beast::flat_buffer buffer;
    while (true) {
      buffer.clear();
      QuickAck();
      ws_.read(buffer);
      auto incoming = jupyter::DecodeV1Frame(beast::buffers_to_string(buffer.data()));
      if (incoming && incoming->message.parent_id() == request.msg_id() && done(*incoming)) return;
    }
  }

  // Reads the frames already waiting (other clients' iopub messages), without blocking.
  void Drain() {
    beast::flat_buffer buffer;
    while (ws_.next_layer().available() > 0) {
      buffer.clear();
      ws_.read(buffer);
    }
  }

  // execute_request to the idle status of that request, then its reply (not timed).
  double Cell(const std::string& code) {
    jupyter::Message request =
        session_.MakeRequest("execute_request", jupyter::ExecuteRequestContent(code));
    bool replied = false;
    double ms = TimeMillis([&] {
      Exchange(request, [&](const jupyter::Incoming& incoming) {
        replied |= incoming.message.msg_type() == "execute_reply";
        return incoming.message.msg_type() == "status" &&
               incoming.message.content.value("execution_state", "") == "idle";
      });
    });
    if (!replied) {
      Exchange(request, [](const jupyter::Incoming& incoming) {
        return incoming.message.msg_type() == "execute_reply";
      });
    }
    return ms;
  }

  // jupyter-server leaves Nagle's algorithm on for its WebSockets: its second small frame waits
  // for our ACK of the first, which Linux delays up to 40 ms unless asked not to (per read).
  void QuickAck() {
    int one = 1;
    setsockopt(ws_.next_layer().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
  }

  void KernelInfo() {
    Exchange(session_.MakeRequest("kernel_info_request"), [](const jupyter::Incoming& incoming) {
      return incoming.message.msg_type() == "kernel_info_reply";
    });
  }

 private:
  boost::asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  jupyter::Session session_;
};

// The floor of a remote start: create the kernel, connect, first answer. The kernel is deleted
// afterwards (not timed).
inline double BareRemoteStartMs(const BenchServer& server) {
  std::string id;
  double ms = TimeMillis([&] {
    auto created = nlohmann::json::parse(RestCall(server.port(), server.token(), http::verb::post,
                                                  "/api/kernels", R"({"name": "python3"})"));
    id = created.value("id", "");
    RawWebSocketClient client(server, id);
    client.KernelInfo();
  });
  RestCall(server.port(), server.token(), http::verb::delete_, "/api/kernels/" + id);
  return ms;
}

}  // namespace codeexec::bench

#endif  // CODEEXEC_BENCH_JUPYTER_REMOTE_FLOOR_H_
