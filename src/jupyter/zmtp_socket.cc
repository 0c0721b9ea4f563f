#include "jupyter/zmtp_socket.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "codeexec/log.h"

namespace codeexec::jupyter {
namespace {

using Clock = ZmtpSocket::Clock;
using std::chrono::milliseconds;

// What a received frame costs besides its bytes (a std::string): counted against the limits so
// that a flood of empty frames is bounded like a flood of bytes.
constexpr std::size_t kFrameCost = sizeof(std::string);
// One read; and the most read from one socket before the others get their turn.
constexpr std::size_t kReadSize = 64 * 1024;
constexpr std::size_t kReadBudget = 4 * 1024 * 1024;
// PONGs owed to a peer that pings faster than we can write are not all kept.
constexpr std::size_t kMaxControlBytes = 64 * 1024;

std::size_t Cost(const std::vector<std::string>& frames) {
  std::size_t cost = 0;
  for (const auto& frame : frames) cost += frame.size() + kFrameCost;
  return cost;
}

Result<socklen_t> ResolveTcp(std::string_view endpoint, std::string_view rest,
                             sockaddr_storage& address) {
  auto invalid = [&](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("bad ZeroMQ endpoint {}: {}", endpoint, why));
  };
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return invalid("no port (tcp://HOST:PORT)");
  std::string host(rest.substr(0, colon));
  std::string_view port_text = rest.substr(colon + 1);
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return invalid("the port must be a number from 1 to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return invalid("no host");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc == EAI_NONAME) {  // a name, not an address: resolved once, here
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  }
  if (rc != 0 || found == nullptr) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot resolve the host of {}: {}", endpoint, gai_strerror(rc)));
  }
  socklen_t size = found->ai_addrlen;
  std::memcpy(&address, found->ai_addr, size);
  freeaddrinfo(found);
  return size;
}

Result<socklen_t> ResolveIpc(std::string_view endpoint, std::string_view path,
                             sockaddr_storage& address) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(un.sun_path)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("bad ZeroMQ endpoint {}: an ipc path has 1 to {} bytes", endpoint,
                                 sizeof(un.sun_path) - 1));
  }
  std::memcpy(un.sun_path, path.data(), path.size());
  socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path.front() == '@') {
    un.sun_path[0] = '\0';  // the abstract namespace, as libzmq spells it
  } else {
    ++size;  // the terminating zero
  }
  std::memcpy(&address, &un, sizeof(un));
  return size;
}

Result<socklen_t> Resolve(std::string_view endpoint, sockaddr_storage& address) {
  if (endpoint.starts_with("tcp://")) return ResolveTcp(endpoint, endpoint.substr(6), address);
  if (endpoint.starts_with("ipc://")) return ResolveIpc(endpoint, endpoint.substr(6), address);
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("bad ZeroMQ endpoint {}: only tcp:// and ipc:// are supported", endpoint));
}

// The address to connect to for `address`: a path endpoint becomes /proc/self/fd/N of the
// socket file itself (`socket_file`, opened without following a link at the path's end), so that
// a peer that can write where its socket lies (an untrusted kernel's folder) cannot point this
// host at another of its sockets through a symbolic link. False while the path is not a socket
// (not bound yet, or something else): a link is never followed.
bool ConnectableAddress(const sockaddr_storage& address, socklen_t size, UniqueFd& socket_file,
                        sockaddr_storage& target, socklen_t& target_size) {
  target = address;
  target_size = size;
  const auto& un = reinterpret_cast<const sockaddr_un&>(address);
  if (address.ss_family != AF_UNIX || un.sun_path[0] == '\0') return true;  // tcp, abstract
  socket_file.Reset(open(un.sun_path, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat info {};
  if (!socket_file.valid() || fstat(socket_file.get(), &info) != 0 || !S_ISSOCK(info.st_mode)) {
    return false;
  }
  auto& via = reinterpret_cast<sockaddr_un&>(target);
  int length =
      std::snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d", socket_file.get());
  target_size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + 1);
  return true;
}

Result<void> CheckOptions(const ZmtpOptions& options) {
  auto invalid = [](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(why));
  };
  if (options.identity.size() > 255) return invalid("a ZeroMQ identity has at most 255 bytes");
  if (!options.identity.empty() && options.identity.front() == '\0') {
    return invalid("a ZeroMQ identity cannot start with a zero byte");
  }
  if (options.reconnect_interval <= milliseconds(0) ||
      options.reconnect_interval_max < options.reconnect_interval ||
      options.handshake_timeout <= milliseconds(0)) {
    return invalid("ZeroMQ intervals must be positive, the maximum at least the interval");
  }
  if (options.max_message_size == 0 || options.receive_queue_messages == 0 ||
      options.send_queue_messages == 0 || options.send_queue_bytes == 0) {
    return invalid("ZeroMQ sizes and queue limits must be positive");
  }
  return {};
}

}  // namespace

ZmtpSocket::ZmtpSocket(std::string endpoint, ZmtpOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}
ZmtpSocket::ZmtpSocket(ZmtpSocket&&) noexcept = default;
ZmtpSocket& ZmtpSocket::operator=(ZmtpSocket&&) noexcept = default;
ZmtpSocket::~ZmtpSocket() = default;

Result<ZmtpSocket> ZmtpSocket::Connect(std::string_view endpoint, ZmtpOptions options) {
  if (auto valid = CheckOptions(options); !valid) return tl::unexpected(valid.error());
  ZmtpSocket socket{std::string(endpoint), std::move(options)};
  auto size = Resolve(endpoint, socket.address_);
  if (!size) return tl::unexpected(size.error());
  socket.address_size_ = *size;
  if (auto started = socket.StartConnect(Clock::now()); !started) {
    return tl::unexpected(started.error());
  }
  return socket;
}

Result<void> ZmtpSocket::StartConnect(Clock::time_point now) {
  const int family = address_.ss_family;
  UniqueFd socket_file;
  sockaddr_storage target;
  socklen_t target_size;
  if (!ConnectableAddress(address_, address_size_, socket_file, target, target_size)) {
    fd_.Reset();
    Retry(now, options_.reconnect_interval);  // as a refused connection: not bound yet
    return {};
  }
  fd_.Reset(socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) {
    int error = errno;
    Retry(now, options_.reconnect_interval_max);
    return ErrnoError(fmt::format("cannot create a socket for {}", endpoint_), error);
  }
  if (family != AF_UNIX) {
    int one = 1;  // requests and replies are small: never hold one back
    setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (connect(fd_.get(), reinterpret_cast<const sockaddr*>(&target), target_size) == 0) {
    Connected(now);
  } else if (errno == EINPROGRESS || errno == EINTR) {
    state_ = State::kConnecting;
    timer_ = now + options_.handshake_timeout;
  } else {  // refused, or no such path yet: the peer has not bound
    fd_.Reset();
    Retry(now, options_.reconnect_interval);
  }
  return {};
}

void ZmtpSocket::Connected(Clock::time_point now) {
  state_ = State::kHandshake;
  timer_ = now + options_.handshake_timeout;
  // The whole greeting and READY at once: NULL has nothing to negotiate, and the peer reads
  // them in order. Messages wait for the peer's READY.
  wire_ = zmtp::Greeting() + zmtp::ReadyCommand(options_.type, options_.identity);
  wire_offset_ = 0;
  wire_is_message_ = false;
  Flush(now);
}

void ZmtpSocket::Retry(Clock::time_point now, milliseconds delay) {
  state_ = State::kWaiting;
  timer_ = now + delay;
}

void ZmtpSocket::Drop(Clock::time_point now, std::string problem) {
  fd_.Reset();
  if (wire_is_message_) outbox_.push_front(std::move(wire_));  // sent again, whole
  wire_.clear();
  wire_offset_ = 0;
  wire_is_message_ = false;
  control_.clear();
  control_size_ = 0;
  greeting_.clear();
  decoder_.Reset();
  partial_.clear();
  partial_size_ = 0;
  if (problem.empty()) {  // the peer went away: it may be restarting
    Retry(now, options_.reconnect_interval);
    return;
  }
  backoff_ = std::clamp(backoff_ * 2, options_.reconnect_interval, options_.reconnect_interval_max);
  ++stats_.protocol_errors;
  Log(LogLevel::kWarning,
      fmt::format("ZeroMQ peer {}: {}; dropped the connection, retrying in {} ms", endpoint_,
                  problem, backoff_.count()));
  stats_.last_error = std::move(problem);
  Retry(now, backoff_);
}

void ZmtpSocket::OnTimer(Clock::time_point now) {
  if (now < timer_) return;
  switch (state_) {
    case State::kWaiting:
      if (auto started = StartConnect(now); !started) {
        Log(LogLevel::kWarning, started.error().message());
      }
      break;
    case State::kConnecting:  // no answer to the connection request: try afresh
      fd_.Reset();
      Retry(now, options_.reconnect_interval);
      break;
    case State::kHandshake:
      Drop(now, fmt::format("no handshake within {} ms", options_.handshake_timeout.count()));
      break;
    case State::kReady:
      break;
  }
}

Clock::time_point ZmtpSocket::deadline() const {
  return state_ == State::kReady ? Clock::time_point::max() : timer_;
}

bool ZmtpSocket::InboxFull() const {
  return inbox_.size() >= options_.receive_queue_messages ||
         inbox_size_ >= options_.max_message_size;
}

short ZmtpSocket::events() const {
  switch (state_) {
    case State::kWaiting:
      return 0;
    case State::kConnecting:
      return POLLOUT;
    case State::kHandshake:
      return static_cast<short>(POLLIN | (wire_offset_ < wire_.size() ? POLLOUT : 0));
    case State::kReady:
      bool writing = wire_offset_ < wire_.size() || !control_.empty() || !outbox_.empty();
      return static_cast<short>((InboxFull() ? 0 : POLLIN) | (writing ? POLLOUT : 0));
  }
  return 0;
}

void ZmtpSocket::OnEvents(short revents, Clock::time_point now) {
  if (state_ == State::kConnecting) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
    int error = 0;
    socklen_t size = sizeof(error);
    if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
      Connected(now);
    } else {
      fd_.Reset();
      Retry(now, options_.reconnect_interval);
    }
    return;
  }
  if (state_ != State::kHandshake && state_ != State::kReady) return;
  if (revents & (POLLIN | POLLERR | POLLHUP)) ReadAvailable(now);
  if (fd_.valid() && (revents & POLLOUT)) Flush(now);
}

void ZmtpSocket::ReadAvailable(Clock::time_point now) {
  if (read_buffer_.empty()) read_buffer_.resize(kReadSize);
  std::size_t budget = kReadBudget;
  while (fd_.valid() && budget > 0 && (state_ == State::kHandshake || !InboxFull())) {
    ssize_t n = recv(fd_.get(), read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (n > 0) {
      auto size = static_cast<std::size_t>(n);
      if (!Consume(std::string_view(read_buffer_.data(), size), now)) return;
      if (size < read_buffer_.size()) return;  // drained; poll says when there is more
      budget -= std::min(budget, size);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      Drop(now, "");  // closed or reset by the peer
    }
  }
}

// Returns false once the connection was dropped.
bool ZmtpSocket::Consume(std::string_view input, Clock::time_point now) {
  while (!input.empty()) {
    if (greeting_.size() < zmtp::kGreetingSize) {
      std::size_t take = std::min(zmtp::kGreetingSize - greeting_.size(), input.size());
      greeting_.append(input.substr(0, take));
      input.remove_prefix(take);
      auto checked = zmtp::CheckGreeting(greeting_);
      if (!checked) {
        Drop(now, checked.error());
        return false;
      }
      if (*checked) minor_version_ = **checked;
      continue;
    }
    std::size_t room =
        options_.max_message_size - std::min(partial_size_, options_.max_message_size);
    switch (decoder_.Feed(input, room)) {
      case zmtp::FrameDecoder::Status::kNeedMore:
        break;
      case zmtp::FrameDecoder::Status::kError:
        Drop(now, decoder_.error());
        return false;
      case zmtp::FrameDecoder::Status::kFrame:
        if (!OnFrame(decoder_.frame(), now)) return false;
        break;
    }
  }
  return true;
}

bool ZmtpSocket::OnFrame(zmtp::Frame& frame, Clock::time_point now) {
  if (frame.command) {
    auto command = zmtp::ParseCommand(frame.body);
    if (!command) {
      Drop(now, command.error());
      return false;
    }
    if (state_ == State::kHandshake) return OnHandshakeCommand(*command, now);
    if (command->name == "ERROR") {
      Drop(now, fmt::format("the peer sent ERROR {}", zmtp::Printable(command->data)));
      return false;
    }
    if (command->name == "PING" && minor_version_ >= 1) {
      // The reply echoes the context after the two-byte TTL (at most 16 bytes of it).
      std::string_view context =
          command->data.substr(std::min<std::size_t>(2, command->data.size()));
      if (control_size_ < kMaxControlBytes) {
        std::string pong;
        zmtp::AppendCommand(pong, "PONG", context.substr(0, 16));
        control_size_ += pong.size();
        control_.push_back(std::move(pong));
        Flush(now);
      }
    }
    return fd_.valid();  // PONG, SUBSCRIBE and unknown commands need nothing
  }
  if (state_ == State::kHandshake) {
    Drop(now, "a message before the handshake was complete");
    return false;
  }
  partial_size_ += frame.body.size() + kFrameCost;
  partial_.push_back(std::move(frame.body));
  if (partial_size_ > options_.max_message_size) {
    Drop(now, fmt::format("a message of more than {} bytes", options_.max_message_size));
    return false;
  }
  if (!frame.more) {
    std::vector<std::string> message = std::move(partial_);
    partial_.clear();
    partial_size_ = 0;
    OnMessage(std::move(message));
  }
  return true;
}

bool ZmtpSocket::OnHandshakeCommand(const zmtp::Command& command, Clock::time_point now) {
  if (command.name == "ERROR") {
    std::string_view reason = command.data.empty() ? command.data : command.data.substr(1);
    Drop(now, fmt::format("the peer refused the connection: {}", zmtp::Printable(reason)));
    return false;
  }
  if (command.name != "READY") {
    Drop(now, fmt::format("expected READY, got {}", zmtp::Printable(command.name)));
    return false;
  }
  auto type = zmtp::ReadySocketType(command.data);
  if (!type) {
    Drop(now, type.error());
    return false;
  }
  if (!zmtp::AcceptsPeer(options_.type, *type)) {
    Drop(now, fmt::format("a {} peer, which a {} cannot talk to", zmtp::Printable(*type),
                          zmtp::Name(options_.type)));
    return false;
  }
  state_ = State::kReady;
  ++stats_.handshakes;
  if (options_.type == zmtp::SocketType::kSub) {
    // Everything, first thing: a subscription message (ZMTP 3.0's form, which every 3.x
    // publisher accepts) whose topic is empty.
    std::string subscribe;
    zmtp::AppendFrame(subscribe, "\x01", false);
    control_size_ += subscribe.size();
    control_.push_front(std::move(subscribe));
  }
  Flush(now);
  return fd_.valid();
}

void ZmtpSocket::OnMessage(std::vector<std::string> frames) {
  if (options_.type == zmtp::SocketType::kReq) {
    // A reply is the delimiter and the body, and only one per request.
    if (!request_outstanding_ || frames.front().size() != 0) {
      ++stats_.dropped_messages;
      return;
    }
    frames.erase(frames.begin());
    request_outstanding_ = false;
  }
  backoff_ = milliseconds(0);  // a peer that delivers messages is a sane one
  inbox_size_ += Cost(frames);
  inbox_.push_back(std::move(frames));
}

std::optional<std::vector<std::string>> ZmtpSocket::TryReceive() {
  if (inbox_.empty()) return std::nullopt;
  std::vector<std::string> message = std::move(inbox_.front());
  inbox_.pop_front();
  inbox_size_ -= Cost(message);
  return message;
}

Result<void> ZmtpSocket::Send(std::span<const std::string> frames) {
  const bool req = options_.type == zmtp::SocketType::kReq;
  if (options_.type == zmtp::SocketType::kSub) {
    return MakeError(ErrorCode::kFailedPrecondition, "a SUB socket cannot send");
  }
  if (frames.empty()) return MakeError(ErrorCode::kInvalidArgument, "a message has a frame");
  if (req && request_outstanding_) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        fmt::format("the request to {} has no reply yet (a REQ sends one at a time)", endpoint_));
  }
  std::string bytes;
  bytes.reserve(zmtp::WireSize(frames) + (req ? 2 : 0));
  if (req) zmtp::AppendFrame(bytes, "", true);  // the delimiter a REP expects
  zmtp::AppendMessage(bytes, frames);
  if (outbox_messages_ >= options_.send_queue_messages ||
      bytes.size() >
          options_.send_queue_bytes - std::min(outbox_size_, options_.send_queue_bytes)) {
    return MakeError(ErrorCode::kResourceExhausted,
                     fmt::format("cannot queue a message of {} bytes for {}: {} messages ({} "
                                 "bytes) wait for the peer already",
                                 bytes.size(), endpoint_, outbox_messages_, outbox_size_));
  }
  outbox_size_ += bytes.size();
  ++outbox_messages_;
  outbox_.push_back(std::move(bytes));
  request_outstanding_ = req;
  if (state_ == State::kReady) {
    Flush(Clock::now());
  } else {  // let a connection that is coming up make progress, without waiting
    ZmtpSocket* self = this;
    Poll(std::span<ZmtpSocket* const>(&self, 1), {}, milliseconds(0));
  }
  return {};
}

void ZmtpSocket::Flush(Clock::time_point now) {
  while (fd_.valid()) {
    if (wire_offset_ == wire_.size()) {
      if (wire_is_message_) {
        outbox_size_ -= wire_.size();
        --outbox_messages_;
      }
      wire_.clear();
      wire_offset_ = 0;
      wire_is_message_ = false;
      if (state_ != State::kReady) return;
      if (!control_.empty()) {
        wire_ = std::move(control_.front());
        control_.pop_front();
        control_size_ -= wire_.size();
      } else if (!outbox_.empty()) {
        wire_ = std::move(outbox_.front());
        outbox_.pop_front();
        wire_is_message_ = true;
      } else {
        return;
      }
    }
    ssize_t n = send(fd_.get(), wire_.data() + wire_offset_, wire_.size() - wire_offset_,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      wire_offset_ += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;  // poll reports when there is room
    } else if (errno != EINTR) {
      Drop(now, "");
    }
  }
}

uint32_t ZmtpSocket::Poll(std::span<ZmtpSocket* const> sockets, std::span<const int> fds,
                          milliseconds timeout) {
  const Clock::time_point deadline =
      timeout < milliseconds(0) ? Clock::time_point::max() : Clock::now() + timeout;
  std::vector<pollfd> items;
  items.reserve(sockets.size() + fds.size());
  while (true) {
    Clock::time_point now = Clock::now();
    Clock::time_point wake = deadline;
    bool message = false;
    items.clear();
    for (ZmtpSocket* socket : sockets) {
      socket->OnTimer(now);
      message = message || socket->has_message();
      wake = std::min(wake, socket->deadline());
      items.push_back({socket->fd_.get(), socket->events(), 0});
    }
    for (int fd : fds) items.push_back({fd, POLLIN, 0});
    int wait_ms = -1;
    if (message || wake <= now) {
      wait_ms = 0;
    } else if (wake != Clock::time_point::max()) {
      auto rest = std::chrono::ceil<milliseconds>(wake - now).count();
      wait_ms = static_cast<int>(std::min<decltype(rest)>(rest, INT_MAX));
    }
    if (::poll(items.data(), items.size(), wait_ms) < 0) return 0;  // EINTR: the caller loops
    now = Clock::now();
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (items[i].revents != 0) sockets[i]->OnEvents(items[i].revents, now);
    }
    uint32_t ready = 0;
    for (std::size_t j = 0; j < fds.size() && j < 32; ++j) {
      if (items[sockets.size() + j].revents & (POLLIN | POLLERR | POLLHUP)) ready |= 1u << j;
    }
    bool received = std::any_of(sockets.begin(), sockets.end(),
                                [](const ZmtpSocket* socket) { return socket->has_message(); });
    if (ready != 0 || received || now >= deadline) return ready;
  }
}

}  // namespace codeexec::jupyter
