// TcpForwarder: a second listener for the local Docker daemon, on 127.0.0.1 and a free port,
// forwarding each TCP connection to the daemon's Unix socket byte for byte (half-closes
// included), so that the executor's tcp:// path is tested against the real daemon without
// reconfiguring it (an unauthenticated TCP port on the daemon itself would be open to every
// local user for as long as it runs).
//
// Everything runs on one thread with poll; Stop() (or the destructor) closes every connection.
#ifndef CODEEXEC_TESTS_INTEGRATION_TCP_FORWARDER_H_
#define CODEEXEC_TESTS_INTEGRATION_TCP_FORWARDER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace codeexec::testing {

class TcpForwarder {
 public:
  // Listens at once; port() is 0 when that failed.
  explicit TcpForwarder(std::string socket_path) : socket_path_(std::move(socket_path)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    if (pipe2(wake_, O_CLOEXEC) != 0) return;
    thread_ = std::thread([this] { Loop(); });
  }
  ~TcpForwarder() { Stop(); }
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  int port() const { return port_; }
  std::string address() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  void Stop() {
    if (thread_.joinable()) {
      [[maybe_unused]] ssize_t written = write(wake_[1], "x", 1);
      thread_.join();
    }
    for (Link& link : links_) CloseLink(link);
    links_.clear();
    for (int fd : {listener_, wake_[0], wake_[1]}) {
      if (fd >= 0) close(fd);
    }
    listener_ = wake_[0] = wake_[1] = -1;
  }

 private:
  // One forwarded connection: each direction is open until its reader sees end-of-file.
  struct Link {
    int client = -1, daemon = -1;
    bool client_open = true, daemon_open = true;  // still reading from each
  };

  static void CloseLink(Link& link) {
    if (link.client >= 0) close(link.client);
    if (link.daemon >= 0) close(link.daemon);
    link.client = link.daemon = -1;
  }

  int ConnectDaemon() const {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path_.c_str(), sizeof(address.sun_path) - 1);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
      return fd;
    }
    if (fd >= 0) close(fd);
    return -1;
  }

  // Copies what `from` has to `to`; at end-of-file half-closes `to`. False at end-of-file.
  static bool Forward(int from, int to) {
    std::array<char, 65536> buffer;
    ssize_t n = read(from, buffer.data(), buffer.size());
    if (n <= 0) {
      shutdown(to, SHUT_WR);
      return false;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t written =
          send(to, buffer.data() + done, static_cast<std::size_t>(n - done), MSG_NOSIGNAL);
      if (written <= 0) return false;
      done += written;
    }
    return true;
  }

  void Loop() {
    for (;;) {
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
      for (const Link& link : links_) {
        fds.push_back({link.client_open ? link.client : -1, POLLIN, 0});
        fds.push_back({link.daemon_open ? link.daemon : -1, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) return;
      for (std::size_t i = 0; i < links_.size(); ++i) {
        Link& link = links_[i];
        if (fds[2 + 2 * i].revents != 0) link.client_open = Forward(link.client, link.daemon);
        if (fds[3 + 2 * i].revents != 0) link.daemon_open = Forward(link.daemon, link.client);
        if (!link.client_open && !link.daemon_open) CloseLink(link);
      }
      std::erase_if(links_, [](const Link& link) { return link.client < 0; });
      if (fds[1].revents != 0) {
        int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        int daemon = client >= 0 ? ConnectDaemon() : -1;
        if (daemon >= 0) {
          links_.push_back({client, daemon});
        } else if (client >= 0) {
          close(client);
        }
      }
    }
  }

  std::string socket_path_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::vector<Link> links_;
};

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_INTEGRATION_TCP_FORWARDER_H_
