// ZmtpSocket: the connecting end of one ZeroMQ connection (a DEALER, SUB or REQ), speaking ZMTP
// 3.x over a non-blocking TCP or unix socket, with no thread and no libzmq.
//
// It behaves as libzmq's connecting sockets do where Jupyter relies on it: it may be created
// before the peer binds (it retries every `reconnect_interval`), messages sent meanwhile are
// queued and go out once the handshake is done, a dropped connection is retried the same way
// (the message being written when it dropped is sent again whole), a SUB subscribes to
// everything first thing on every connection, and a REQ strips the empty delimiter and accepts
// one reply per request.
//
// A peer is untrusted. A bad greeting, another security mechanism, a peer of the wrong socket
// type, an ERROR command, a frame over `max_message_size`, malformed frames or a handshake not
// finished within `handshake_timeout` drop the connection: the problem is counted in stats(),
// logged as a warning, and the connection retried with a delay that doubles up to
// `reconnect_interval_max`. Nothing a peer sends throws, aborts or blocks. An ipc path is
// connected only when it is a socket: a symbolic link at its end is never followed (the peer
// may control the folder), and is waited out as a socket not bound yet.
//
// Progress happens in Poll(), which waits on several sockets and other descriptors at once;
// Send() writes at once when it can and never blocks. Not thread-safe; movable.
#ifndef CODEEXEC_SRC_JUPYTER_ZMTP_SOCKET_H_
#define CODEEXEC_SRC_JUPYTER_ZMTP_SOCKET_H_

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"
#include "jupyter/zmtp_codec.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {

struct ZmtpOptions {
  zmtp::SocketType type = zmtp::SocketType::kDealer;
  // The routing id a ROUTER peer sees (DEALER and REQ): up to 255 bytes, not starting with a
  // zero byte; empty lets the peer choose.
  std::string identity;
  // Between connection attempts while the peer is not there (libzmq's ZMQ_RECONNECT_IVL).
  std::chrono::milliseconds reconnect_interval{10};
  // After a peer broke the protocol the delay doubles up to this, so a hostile or confused
  // peer is not hammered.
  std::chrono::milliseconds reconnect_interval_max{1000};
  // From connect to the peer's READY.
  std::chrono::milliseconds handshake_timeout{5000};
  // The largest message accepted, all frames counted (each frame also costs 32 bytes here, so
  // that a flood of empty frames is bounded too). Also the most that queued received messages
  // may hold before reading pauses.
  std::size_t max_message_size = std::size_t{256} << 20;
  // Received messages held until TryReceive() takes them; reading pauses beyond this, which
  // pushes back on the peer as libzmq's receive high-water mark does.
  std::size_t receive_queue_messages = 1000;
  // Messages and bytes Send() may queue while the peer is away or slow.
  std::size_t send_queue_messages = 1000;
  std::size_t send_queue_bytes = std::size_t{256} << 20;
};

struct ZmtpStats {
  uint64_t handshakes = 0;        // connections that reached READY
  uint64_t protocol_errors = 0;   // connections dropped because of what the peer sent
  uint64_t dropped_messages = 0;  // messages discarded (a REQ's unexpected replies)
  std::string last_error;         // the latest protocol error
};

class ZmtpSocket {
 public:
  using Clock = std::chrono::steady_clock;

  // Parses `endpoint` (tcp://HOST:PORT, tcp://[V6]:PORT or ipc://PATH, `@NAME` for the abstract
  // namespace) and starts connecting. Fails only on a bad endpoint or options, or when no
  // socket can be created.
  static Result<ZmtpSocket> Connect(std::string_view endpoint, ZmtpOptions options);

  ZmtpSocket(ZmtpSocket&&) noexcept;
  ZmtpSocket& operator=(ZmtpSocket&&) noexcept;
  ~ZmtpSocket();

  // Queues one message (at least one frame) and writes what it can now. Fails when the queue
  // is full, on a SUB, and on a REQ whose previous request has no reply yet.
  Result<void> Send(std::span<const std::string> frames);
  // The oldest received message, if any (a REQ's without the delimiter).
  std::optional<std::vector<std::string>> TryReceive();
  bool has_message() const { return !inbox_.empty(); }
  // True from the peer's READY until the connection drops.
  bool connected() const { return state_ == State::kReady; }
  const ZmtpStats& stats() const { return stats_; }
  const std::string& endpoint() const { return endpoint_; }

  // Waits until one of `sockets` has a message, one of `fds` is readable, or `timeout` passes
  // (negative: no limit), doing all the sockets' connecting, handshakes, reading and writing
  // meanwhile. Returns a bit mask of the readable `fds` (bit i for fds[i]; at most 32); 0 also
  // when interrupted by a signal.
  static uint32_t Poll(std::span<ZmtpSocket* const> sockets, std::span<const int> fds,
                       std::chrono::milliseconds timeout);

 private:
  enum class State { kWaiting, kConnecting, kHandshake, kReady };

  ZmtpSocket(std::string endpoint, ZmtpOptions options);
  Result<void> StartConnect(Clock::time_point now);
  void Connected(Clock::time_point now);
  void Drop(Clock::time_point now, std::string problem);
  void Retry(Clock::time_point now, std::chrono::milliseconds delay);
  void OnTimer(Clock::time_point now);
  void OnEvents(short revents, Clock::time_point now);
  short events() const;
  Clock::time_point deadline() const;
  void ReadAvailable(Clock::time_point now);
  bool Consume(std::string_view input, Clock::time_point now);
  bool OnFrame(zmtp::Frame& frame, Clock::time_point now);
  bool OnHandshakeCommand(const zmtp::Command& command, Clock::time_point now);
  void OnMessage(std::vector<std::string> frames);
  void Flush(Clock::time_point now);
  bool InboxFull() const;

  std::string endpoint_;
  ZmtpOptions options_;
  sockaddr_storage address_{};
  socklen_t address_size_ = 0;

  State state_ = State::kWaiting;
  UniqueFd fd_;
  Clock::time_point timer_{};  // reconnect at (kWaiting), handshake deadline (kHandshake)
  std::chrono::milliseconds backoff_{0};
  int minor_version_ = 0;  // negotiated: 0 = ZMTP 3.0, 1 = 3.1

  std::string greeting_;  // the peer's, as it arrives
  zmtp::FrameDecoder decoder_;
  std::vector<std::string> partial_;  // frames of a message still arriving
  std::size_t partial_size_ = 0;      // their cost against max_message_size
  std::deque<std::vector<std::string>> inbox_;
  std::size_t inbox_size_ = 0;

  std::string read_buffer_;

  // What is being written: the handshake, an item of `control_` or the front of `outbox_`.
  std::string wire_;
  std::size_t wire_offset_ = 0;
  bool wire_is_message_ = false;
  // This connection's own traffic, ahead of queued messages: the subscription, PONGs. Dropped
  // with the connection.
  std::deque<std::string> control_;
  std::size_t control_size_ = 0;
  std::deque<std::string> outbox_;  // encoded messages not started yet
  std::size_t outbox_size_ = 0;     // bytes of the messages in outbox_ and wire_
  std::size_t outbox_messages_ = 0;
  bool request_outstanding_ = false;  // REQ

  ZmtpStats stats_;
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_ZMTP_SOCKET_H_
