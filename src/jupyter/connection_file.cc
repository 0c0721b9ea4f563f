#include "jupyter/connection_file.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "jupyter/ids.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

using nlohmann::json;

// Ports recently handed out by this process, so that two kernels started close together never
// get the same port even if the first has not bound it yet.
class RecentPorts {
 public:
  bool Contains(int port) {
    std::lock_guard lock(mutex_);
    return ports_.contains(port);
  }
  void Add(int port) {
    std::lock_guard lock(mutex_);
    if (ports_.insert(port).second) order_.push_back(port);
    if (order_.size() > kKeep) {
      ports_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  static constexpr std::size_t kKeep = 1000;
  std::mutex mutex_;
  std::set<int> ports_;
  std::deque<int> order_;
};

RecentPorts& Recent() {
  static RecentPorts* recent = new RecentPorts();
  return *recent;
}

// Binds a TCP socket to 127.0.0.1:0 and returns it with the port the system chose.
Result<std::pair<UniqueFd, int>> BindFreePort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    return ErrnoError("bind 127.0.0.1:0", errno);
  }
  socklen_t length = sizeof(address);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    return ErrnoError("getsockname", errno);
  }
  return std::make_pair(std::move(fd), static_cast<int>(ntohs(address.sin_port)));
}

}  // namespace

std::string ConnectionInfo::Endpoint(int port) const {
  if (transport == "ipc") return fmt::format("ipc://{}-{}", ip, port);
  return fmt::format("{}://{}:{}", transport, ip, port);
}

std::string ConnectionInfo::ToJson() const {
  json file = {{"transport", transport},
               {"ip", ip},
               {"shell_port", shell_port},
               {"iopub_port", iopub_port},
               {"stdin_port", stdin_port},
               {"control_port", control_port},
               {"hb_port", hb_port},
               {"key", key},
               {"signature_scheme", signature_scheme},
               {"kernel_name", kernel_name}};
  return file.dump(1);
}

Result<ConnectionInfo> ConnectionInfo::FromJson(std::string_view text) {
  json file = json::parse(text, nullptr, false);
  if (!file.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "a connection file must be a JSON object");
  }
  ConnectionInfo info;
  try {
    info.transport = file.value("transport", "tcp");
    info.ip = file.value("ip", "127.0.0.1");
    info.shell_port = file.at("shell_port").get<int>();
    info.iopub_port = file.at("iopub_port").get<int>();
    info.stdin_port = file.at("stdin_port").get<int>();
    info.control_port = file.at("control_port").get<int>();
    info.hb_port = file.at("hb_port").get<int>();
    info.key = file.value("key", "");
    info.signature_scheme = file.value("signature_scheme", "hmac-sha256");
    info.kernel_name = file.value("kernel_name", "");
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("bad connection file: {}", e.what()));
  }
  return info;
}

Result<ConnectionInfo> NewLocalConnection(std::string kernel_name) {
  ConnectionInfo info;
  info.key = NewUuid();
  info.kernel_name = std::move(kernel_name);
  std::array<int*, 5> ports = {&info.shell_port, &info.iopub_port, &info.stdin_port,
                               &info.control_port, &info.hb_port};
  // All five stay bound until every port is known, so that the system gives five different ones.
  std::vector<UniqueFd> held;
  for (int* port : ports) {
    for (int attempt = 0;; ++attempt) {
      auto bound = BindFreePort();
      if (!bound) return tl::unexpected(bound.error());
      held.push_back(std::move(bound->first));
      if (!Recent().Contains(bound->second) || attempt == 50) {
        *port = bound->second;
        break;
      }
    }
  }
  for (int* port : ports) Recent().Add(*port);
  return info;
}

Result<ConnectionInfo> NewIpcConnection(std::string kernel_name,
                                        const std::filesystem::path& prefix) {
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  std::string ip = prefix.string();
  if (ip.empty() || ip.size() + 2 > kMaxPath) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the kernel's socket paths {}-N are longer than the {} bytes a "
                                 "Unix socket address holds: choose a shorter work folder",
                                 ip, kMaxPath));
  }
  ConnectionInfo info;
  info.transport = "ipc";
  info.ip = std::move(ip);
  info.key = NewUuid();
  info.kernel_name = std::move(kernel_name);
  info.shell_port = 1;
  info.iopub_port = 2;
  info.stdin_port = 3;
  info.control_port = 4;
  info.hb_port = 5;
  return info;
}

Result<void> WriteConnectionFile(const std::filesystem::path& path, const ConnectionInfo& info) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoError("cannot write the connection file " + path.string(), errno);
  std::string text = info.ToJson();
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write the connection file " + path.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<ConnectionInfo> ReadConnectionFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return ErrnoError("cannot read the connection file " + path.string(), errno);
  std::stringstream text;
  text << in.rdbuf();
  return ConnectionInfo::FromJson(text.str());
}

}  // namespace codeexec::jupyter
