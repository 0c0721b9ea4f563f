#include "jupyter/kernel_websocket.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// What the io thread hands the owner: frames, and the end of the connection.
class Inbox {
 public:
  Inbox() : event_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

  void Push(WebSocketFrame frame) {
    std::lock_guard lock(mutex_);
    frames_.push_back(std::move(frame));
    Signal();
  }
  void Close(std::string reason) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    reason_ = std::move(reason);
    Signal();
  }
  std::optional<WebSocketFrame> Pop() {
    std::lock_guard lock(mutex_);
    if (frames_.empty()) {
      uint64_t count;
      // Drained: reset the eventfd, unless the connection closed (then it stays readable).
      if (!closed_ && read(event_.get(), &count, sizeof(count)) < 0) {
      }
      return std::nullopt;
    }
    WebSocketFrame frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_ && frames_.empty();
  }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  int fd() const { return event_.get(); }

 private:
  void Signal() {
    uint64_t one = 1;
    if (write(event_.get(), &one, sizeof(one)) < 0) {
    }
  }

  mutable std::mutex mutex_;
  std::deque<WebSocketFrame> frames_;
  bool closed_ = false;
  std::string reason_;
  UniqueFd event_;
};

// One WebSocket stream (plain or TLS). Every method but the constructor runs on the io thread.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void StartReading() = 0;
  virtual void Write(std::string data, bool binary) = 0;
  virtual void Close(std::promise<void>* done) = 0;
};

constexpr std::size_t kMaxMessage = std::size_t{256} << 20;

template <typename Next>
class StreamConnection final : public Connection {
 public:
  template <typename... Args>
  StreamConnection(Inbox& inbox, Args&&... args) : inbox_(inbox), ws_(std::forward<Args>(args)...) {
    ws_.read_message_max(kMaxMessage);
  }

  websocket::stream<Next>& ws() { return ws_; }

  void StartReading() override {
    QuickAck();
    ws_.async_read(buffer_, [this](beast::error_code error, std::size_t) {
      if (error) {
        inbox_.Close(error == websocket::error::closed
                         ? "the server closed the connection"
                         : fmt::format("the connection broke: {}", error.message()));
        return;
      }
      inbox_.Push({beast::buffers_to_string(buffer_.data()), ws_.got_binary()});
      buffer_.consume(buffer_.size());
      StartReading();
    });
  }

  // Jupyter Server leaves Nagle's algorithm on for its WebSockets, so each small frame after the
  // first waits for our ACK of the one before; Linux delays that ACK up to 40 ms unless asked,
  // before each read, to acknowledge at once. Without this a cell takes ~45 ms instead of ~5.
  void QuickAck() {
    int one = 1;
    setsockopt(beast::get_lowest_layer(ws_).socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK,
               &one, sizeof(one));
  }

  void Write(std::string data, bool binary) override {
    outbox_.emplace_back(std::move(data), binary);
    if (!writing_) WriteNext();
  }

  void Close(std::promise<void>* done) override {
    if (!ws_.is_open()) {
      done->set_value();
      return;
    }
    ws_.async_close(websocket::close_code::normal,
                    [done](beast::error_code) { done->set_value(); });
  }

 private:
  void WriteNext() {
    writing_ = !outbox_.empty();
    if (!writing_) return;
    ws_.binary(outbox_.front().second);
    ws_.async_write(asio::buffer(outbox_.front().first),
                    [this](beast::error_code error, std::size_t) {
                      if (error) {
                        inbox_.Close(fmt::format("cannot send: {}", error.message()));
                        return;
                      }
                      outbox_.pop_front();
                      WriteNext();
                    });
  }

  Inbox& inbox_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::pair<std::string, bool>> outbox_;
  bool writing_ = false;
};

// Waits for an operation's future until `deadline`; throws its error.
template <typename T>
T Await(std::future<T>& future, Clock::time_point deadline, std::string_view step) {
  if (future.wait_until(deadline) != std::future_status::ready) {
    throw std::runtime_error(fmt::format("timed out during {}", step));
  }
  return future.get();
}

}  // namespace

// Destroyed in reverse order: the io thread stops before the objects it works on go away.
struct KernelWebSocket::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::optional<ssl::context> tls_context;
  Inbox inbox;
  tcp::resolver resolver{io};
  std::unique_ptr<Connection> connection;
  std::string subprotocol;
  std::thread thread;

  ~Impl() {
    if (thread.joinable()) {
      std::promise<void> closed;
      std::future<void> done = closed.get_future();
      if (connection) {
        asio::post(io, [&] { connection->Close(&closed); });
        done.wait_for(std::chrono::milliseconds(500));
      }
      io.stop();
      thread.join();
    }
    connection.reset();
  }

  template <typename Next>
  void Handshake(StreamConnection<Next>& stream, const WebSocketTarget& target,
                 Clock::time_point deadline);
};

template <typename Next>
void KernelWebSocket::Impl::Handshake(StreamConnection<Next>& stream, const WebSocketTarget& target,
                                      Clock::time_point deadline) {
  auto& ws = stream.ws();
  beast::get_lowest_layer(ws).expires_never();  // the websocket's own timeouts take over
  auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
  websocket::stream_base::timeout timeouts{
      std::max(left, std::chrono::seconds(0)) + std::chrono::seconds(1),
      websocket::stream_base::none(), false};
  ws.set_option(timeouts);
  std::string offered;
  for (const auto& protocol : target.subprotocols) {
    offered += (offered.empty() ? "" : ", ") + protocol;
  }
  ws.set_option(websocket::stream_base::decorator([&target, offered](websocket::request_type& req) {
    for (const auto& [name, value] : target.headers) req.set(name, value);
    if (!offered.empty()) req.set(http::field::sec_websocket_protocol, offered);
  }));
  websocket::response_type response;
  std::string host = fmt::format("{}:{}", target.host, target.port);
  std::promise<beast::error_code> shaken;
  auto result = shaken.get_future();
  asio::post(io, [&] {
    ws.async_handshake(response, host, target.target,
                       [&](beast::error_code error) { shaken.set_value(error); });
  });
  beast::error_code error = Await(result, deadline, "the WebSocket handshake");
  if (error) {
    int status = static_cast<int>(response.result_int());
    if (status == 401 || status == 403) {
      throw std::system_error(std::make_error_code(std::errc::permission_denied),
                              fmt::format("HTTP {}", status));
    }
    throw beast::system_error(error);
  }
  subprotocol = std::string(response[http::field::sec_websocket_protocol]);
}

Result<std::unique_ptr<KernelWebSocket>> KernelWebSocket::Connect(
    const WebSocketTarget& target, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.thread = std::thread([&io = s.io] { io.run(); });
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string where =
      fmt::format("{}://{}:{}", target.tls ? "wss" : "ws", target.host, target.port);
  try {
    auto resolving = s.resolver.async_resolve(target.host, target.port, asio::use_future);
    auto endpoints = Await(resolving, deadline, "name resolution");
    if (target.tls) {
      s.tls_context.emplace(ssl::context::tls_client);
      if (target.ca_file.empty()) {
        s.tls_context->set_default_verify_paths();
      } else {
        s.tls_context->load_verify_file(target.ca_file);
      }
      s.tls_context->set_verify_mode(ssl::verify_peer);
      auto* stream =
          new StreamConnection<beast::ssl_stream<beast::tcp_stream>>(s.inbox, s.io, *s.tls_context);
      s.connection.reset(stream);
      auto& tls = stream->ws().next_layer();
      boost::system::error_code not_an_address;
      asio::ip::make_address(target.host, not_an_address);
      if (not_an_address) {  // SNI is for names; an address is checked against the IP entries
        SSL_set_tlsext_host_name(tls.native_handle(), target.host.c_str());
      }
      tls.set_verify_callback(ssl::host_name_verification(target.host));
      beast::get_lowest_layer(tls).expires_at(deadline);
      auto connecting = beast::get_lowest_layer(tls).async_connect(endpoints, asio::use_future);
      Await(connecting, deadline, "connecting");
      beast::get_lowest_layer(tls).socket().set_option(tcp::no_delay(true));
      auto tls_handshake = tls.async_handshake(ssl::stream_base::client, asio::use_future);
      Await(tls_handshake, deadline, "the TLS handshake");
      s.Handshake(*stream, target, deadline);
    } else {
      auto* stream = new StreamConnection<beast::tcp_stream>(s.inbox, s.io);
      s.connection.reset(stream);
      beast::get_lowest_layer(stream->ws()).expires_at(deadline);
      auto connecting =
          beast::get_lowest_layer(stream->ws()).async_connect(endpoints, asio::use_future);
      Await(connecting, deadline, "connecting");
      beast::get_lowest_layer(stream->ws()).socket().set_option(tcp::no_delay(true));
      s.Handshake(*stream, target, deadline);
    }
  } catch (const std::system_error& e) {
    ErrorCode code = e.code() == std::errc::permission_denied ? ErrorCode::kPermissionDenied
                                                              : ErrorCode::kUnavailable;
    return MakeError(code, fmt::format("the kernel WebSocket at {} failed: {}", where, e.what()));
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("the kernel WebSocket at {} failed: {}", where, e.what()));
  }
  asio::post(s.io, [connection = s.connection.get()] { connection->StartReading(); });
  return std::unique_ptr<KernelWebSocket>(new KernelWebSocket(std::move(impl)));
}

KernelWebSocket::KernelWebSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KernelWebSocket::~KernelWebSocket() = default;

const std::string& KernelWebSocket::subprotocol() const { return impl_->subprotocol; }

void KernelWebSocket::Send(std::string data, bool binary) {
  asio::post(impl_->io, [connection = impl_->connection.get(), data = std::move(data),
                         binary]() mutable { connection->Write(std::move(data), binary); });
}

std::optional<WebSocketFrame> KernelWebSocket::TryReceive() { return impl_->inbox.Pop(); }
int KernelWebSocket::wait_fd() const { return impl_->inbox.fd(); }
bool KernelWebSocket::closed() const { return impl_->inbox.closed(); }
std::string KernelWebSocket::close_reason() const { return impl_->inbox.reason(); }

}  // namespace codeexec::jupyter
