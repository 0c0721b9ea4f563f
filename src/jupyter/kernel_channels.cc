#include "jupyter/kernel_channels.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <vector>

#include "jupyter/ids.h"
#include "jupyter/zmq_framing.h"
#include "jupyter/zmtp_socket.h"

namespace codeexec::jupyter {
namespace {

using Clock = KernelChannels::Clock;

// Enough for any burst of output between two reads, small enough that a kernel printing from a
// background thread while nobody executes cannot use all memory.
constexpr std::size_t kIopubQueueMessages = 100000;

Result<ZmtpSocket> ConnectSocket(const ConnectionInfo& info, int port, zmtp::SocketType type,
                                 std::string identity = {}) {
  ZmtpOptions options;
  options.type = type;
  options.identity = std::move(identity);
  // The sockets connect before the kernel binds and retry every reconnect interval: a short one
  // lets the first request through as soon as the kernel listens, which is most of what a
  // kernel start costs beyond the kernel's own work.
  options.reconnect_interval = std::chrono::milliseconds(10);
  if (type == zmtp::SocketType::kSub) options.receive_queue_messages = kIopubQueueMessages;
  return ZmtpSocket::Connect(info.Endpoint(port), std::move(options));
}

}  // namespace

std::string_view ToString(Channel channel) {
  switch (channel) {
    case Channel::kShell:
      return "shell";
    case Channel::kControl:
      return "control";
    case Channel::kStdin:
      return "stdin";
    case Channel::kIopub:
      return "iopub";
  }
  return "?";
}

struct KernelChannels::Sockets {
  ConnectionInfo info;
  Signer signer;
  HeartbeatOptions heartbeat;
  ZmtpSocket iopub, shell, stdin_socket, control;
  std::optional<ZmtpSocket> hb;  // empty when it could not be recreated

  bool heartbeat_on = false;
  bool ping_outstanding = false;
  int missed = 0;
  Clock::time_point last_ping{};

  ZmtpSocket& For(Channel channel) {
    switch (channel) {
      case Channel::kShell:
        return shell;
      case Channel::kControl:
        return control;
      case Channel::kStdin:
        return stdin_socket;
      case Channel::kIopub:
        return iopub;
    }
    return shell;
  }

  void ConnectHeartbeat() {
    ping_outstanding = false;
    auto socket = ConnectSocket(info, info.hb_port, zmtp::SocketType::kReq);
    if (socket) {
      hb.emplace(std::move(*socket));
    } else {
      hb.reset();
    }
  }
};

Result<std::unique_ptr<KernelChannels>> KernelChannels::Connect(const ConnectionInfo& info,
                                                                HeartbeatOptions heartbeat) {
  auto signer = Signer::Create(info.signature_scheme, info.key);
  if (!signer) return tl::unexpected(signer.error());
  // stdin shares shell's routing id, as the protocol requires; the id is random per
  // connection, since two DEALERs with one id lose replies. iopub connects first, subscribed
  // from its first connection on.
  std::string routing_id = NewUuid();
  auto iopub = ConnectSocket(info, info.iopub_port, zmtp::SocketType::kSub);
  auto shell = ConnectSocket(info, info.shell_port, zmtp::SocketType::kDealer, routing_id);
  auto stdin_socket = ConnectSocket(info, info.stdin_port, zmtp::SocketType::kDealer, routing_id);
  auto control = ConnectSocket(info, info.control_port, zmtp::SocketType::kDealer);
  for (const auto* socket : {&iopub, &shell, &stdin_socket, &control}) {
    if (!*socket) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot connect to the kernel at {}: {}", info.ip,
                                   socket->error().message()));
    }
  }
  auto sockets = std::unique_ptr<Sockets>(
      new Sockets{info, std::move(*signer), heartbeat, std::move(*iopub), std::move(*shell),
                  std::move(*stdin_socket), std::move(*control), std::nullopt});
  sockets->ConnectHeartbeat();
  return std::unique_ptr<KernelChannels>(new KernelChannels(std::move(sockets)));
}

KernelChannels::KernelChannels(std::unique_ptr<Sockets> sockets) : sockets_(std::move(sockets)) {}
KernelChannels::~KernelChannels() = default;

const Signer& KernelChannels::signer() const { return sockets_->signer; }

Result<void> KernelChannels::Send(Channel channel, const Message& message) {
  std::vector<std::string> frames = EncodeZmqFrames(message, sockets_->signer);
  auto sent = sockets_->For(channel).Send(frames);
  if (!sent) {
    return MakeError(sent.error().code(),
                     fmt::format("cannot send {} on {}: {}", message.msg_type(), ToString(channel),
                                 sent.error().message()));
  }
  return {};
}

std::optional<Incoming> KernelChannels::TryReceive() {
  static constexpr std::array<Channel, 4> kOrder = {Channel::kIopub, Channel::kShell,
                                                    Channel::kStdin, Channel::kControl};
  std::vector<std::string_view> frames;
  for (Channel channel : kOrder) {
    while (auto parts = sockets_->For(channel).TryReceive()) {
      frames.assign(parts->begin(), parts->end());
      auto message = DecodeZmqFrames(frames, sockets_->signer);
      if (message) return Incoming{channel, std::move(*message)};
      ++dropped_;
    }
  }
  DrainHeartbeat(Clock::now());
  return std::nullopt;
}

uint32_t KernelChannels::Wait(std::chrono::milliseconds timeout, std::span<const int> fds) {
  Sockets& s = *sockets_;
  Clock::time_point now = Clock::now();
  HeartbeatTick(now);
  if (s.heartbeat_on) {
    // Wake up in time for the next heartbeat step.
    auto step = s.ping_outstanding ? s.last_ping + s.heartbeat.timeout - now
                                   : s.last_ping + s.heartbeat.interval - now;
    auto step_ms = std::chrono::ceil<std::chrono::milliseconds>(step);
    timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, step_ms));
  }
  std::array<ZmtpSocket*, 5> sockets = {&s.iopub, &s.shell, &s.stdin_socket, &s.control,
                                        s.hb ? &*s.hb : nullptr};
  std::size_t count = s.hb ? 5 : 4;
  uint32_t ready = ZmtpSocket::Poll(std::span(sockets.data(), count), fds, timeout);
  DrainHeartbeat(Clock::now());
  return ready;
}

void KernelChannels::StartHeartbeat() {
  sockets_->heartbeat_on = true;
  sockets_->last_ping = Clock::now();
}

bool KernelChannels::heartbeat_lost() const {
  return sockets_->heartbeat_on && sockets_->missed >= sockets_->heartbeat.failures;
}

void KernelChannels::DrainHeartbeat(Clock::time_point now) {
  Sockets& s = *sockets_;
  if (!s.hb) return;
  std::optional<std::vector<std::string>> reply = s.hb->TryReceive();
  if (!reply || !s.ping_outstanding) return;
  s.ping_outstanding = false;
  s.missed = 0;
  s.last_ping = now;  // the next ping is due one interval after this reply
}

void KernelChannels::HeartbeatTick(Clock::time_point now) {
  Sockets& s = *sockets_;
  if (!s.heartbeat_on) return;
  DrainHeartbeat(now);
  if (s.ping_outstanding) {
    if (now - s.last_ping < s.heartbeat.timeout) return;
    ++s.missed;
    s.ConnectHeartbeat();  // a REQ without its reply cannot send again
  } else if (now - s.last_ping < s.heartbeat.interval) {
    return;
  }
  if (!s.hb) s.ConnectHeartbeat();
  static const std::string kPing = "ping";
  if (s.hb && s.hb->Send(std::span(&kPing, 1))) {
    s.ping_outstanding = true;
    s.last_ping = now;
  }
}

}  // namespace codeexec::jupyter
