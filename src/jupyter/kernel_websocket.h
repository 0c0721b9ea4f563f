// KernelWebSocket: a client WebSocket (ws or wss) for a Jupyter Server's kernel channels.
//
// Boost.Beast runs on a private io_context thread: it reads frames continuously into a queue
// (so the server never waits on us) and writes what Send() hands it, in order. The owner
// takes frames with TryReceive() and sleeps on wait_fd(), an eventfd that is readable while
// frames are queued or once the connection has closed, so it fits in the same poll() as the
// owner's other descriptors. wss verifies the server's certificate and host name against
// `ca_file`, or else OpenSSL's default CA store (which honours SSL_CERT_FILE and SSL_CERT_DIR). Not
// thread-safe for the owner (one thread); the io thread is internal.
#ifndef CODEEXEC_SRC_JUPYTER_KERNEL_WEBSOCKET_H_
#define CODEEXEC_SRC_JUPYTER_KERNEL_WEBSOCKET_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codeexec/error.h"

namespace codeexec::jupyter {

struct WebSocketTarget {
  std::string host;
  std::string port;
  bool tls = false;
  std::string ca_file;  // PEM certificates to trust with tls; empty: the default store
  std::string target;   // path and query: /api/kernels/ID/channels?session_id=...
  std::vector<std::pair<std::string, std::string>> headers;  // Authorization, ...
  std::vector<std::string> subprotocols;                     // offered, in preference order
};

struct WebSocketFrame {
  std::string data;
  bool binary = false;
};

class KernelWebSocket {
 public:
  // Connects and completes the handshake within `timeout`. A declined handshake with 401/403 is
  // kPermissionDenied; anything else that fails is kUnavailable.
  static Result<std::unique_ptr<KernelWebSocket>> Connect(const WebSocketTarget& target,
                                                          std::chrono::milliseconds timeout);
  // Closes the connection (a close frame, then the socket) and stops the io thread.
  ~KernelWebSocket();
  KernelWebSocket(const KernelWebSocket&) = delete;
  KernelWebSocket& operator=(const KernelWebSocket&) = delete;

  // The subprotocol the server chose; empty when it chose none.
  const std::string& subprotocol() const;

  // Queues a frame for sending; failures show as a closed connection.
  void Send(std::string data, bool binary);
  std::optional<WebSocketFrame> TryReceive();
  int wait_fd() const;
  bool closed() const;
  // Why the connection closed ("" while open).
  std::string close_reason() const;

 private:
  struct Impl;
  explicit KernelWebSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_KERNEL_WEBSOCKET_H_
