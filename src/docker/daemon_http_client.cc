// The only translation unit that includes Boost.Beast (it costs seconds to compile): every other
// file sees DaemonHttpClient's standard types.
#include "docker/daemon_http_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <array>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <functional>
#include <optional>

#include "core/ascii.h"

namespace codeexec::docker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = DaemonHttpClient::Clock;
using Protocol = asio::generic::stream_protocol;

// Response bodies the Docker API sends are small JSON documents; this bounds a broken peer.
constexpr std::uint64_t kBodyLimit = 64 << 20;

// One connection and the event loop that drives it. Every operation is asynchronous under the
// hood so that beast::basic_stream can enforce its deadline, and runs to completion before the
// call returns.
class Connection {
 public:
  // `cancel_fd` (not owned; -1 for none) ends any operation once it is readable.
  Connection(const DockerEndpoint& endpoint, int cancel_fd)
      : endpoint_(endpoint), cancel_fd_(cancel_fd) {}

  // Whether an operation was ended by the cancellation descriptor.
  bool cancelled() const { return cancelled_; }

  Result<void> Open(Clock::time_point deadline);
  Result<void> Send(const HttpRequest& request, Clock::time_point deadline);
  // Reads the status line and headers.
  Result<void> ReadHeader(Clock::time_point deadline);
  // Open, Send and ReadHeader.
  Result<void> Exchange(const HttpRequest& request, Clock::time_point deadline) {
    if (auto opened = Open(deadline); !opened) return opened;
    if (auto sent = Send(request, deadline); !sent) return sent;
    return ReadHeader(deadline);
  }
  // The response so far (after ReadHeader), with the body read when `read_body`.
  Result<HttpResponse> FinishResponse(bool read_body, Clock::time_point deadline);
  // Hands header leftovers and then every byte read to `on_data` until EOF or `control` ends the
  // stream.
  Result<StreamEnd> Pump(const StreamControl& control,
                         const std::function<void(std::string_view)>& on_data);
  // After ReadHeader: hands the body to `on_body` as it arrives.
  Result<void> ReadBodyInto(const DaemonHttpClient::BodySink& on_body, Clock::time_point deadline);
  Result<HeldConnection> DetachSocket();

  bool SuccessStatus() const {
    unsigned status = parser_.get().result_int();
    return (status >= 200 && status < 300) || status == 101;
  }

 private:
  // Runs the event loop until the queued operation's handler has set `ec` (from would_block),
  // and returns it. When the cancellation descriptor becomes readable first, `abort` (by default
  // cancelling the stream) makes the operation end at once.
  beast::error_code RunUntilDone(const beast::error_code& ec,
                                 const std::function<void()>& abort = {});
  Error Failure(std::string_view what, const beast::error_code& ec) const;
  Result<Protocol::endpoint> Target(Clock::time_point deadline);

  const DockerEndpoint& endpoint_;
  int cancel_fd_;
  bool cancelled_ = false;
  asio::io_context io_;
  beast::basic_stream<Protocol> stream_{io_};
  std::optional<asio::posix::stream_descriptor> cancel_watch_;  // a duplicate of cancel_fd_
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
};

beast::error_code Connection::RunUntilDone(const beast::error_code& ec,
                                           const std::function<void()>& abort) {
  io_.restart();
  if (cancel_fd_ >= 0 && !cancel_watch_) {
    int watched = fcntl(cancel_fd_, F_DUPFD_CLOEXEC, 0);
    if (watched >= 0) cancel_watch_.emplace(io_, watched);
  }
  bool watch_done = !cancel_watch_;
  if (cancel_watch_) {
    cancel_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                              [&](const beast::error_code& error) {
                                watch_done = true;
                                if (error) return;
                                cancelled_ = true;
                                abort ? abort() : stream_.cancel();
                              });
  }
  while (ec == asio::error::would_block && io_.run_one() > 0) {
  }
  if (!watch_done) cancel_watch_->cancel();
  // Only ready handlers remain to run (the watch's, aborted), never another wait.
  while (!watch_done && io_.run_one() > 0) {
  }
  return ec;
}

Error Connection::Failure(std::string_view what, const beast::error_code& ec) const {
  if (cancelled_) {
    return Error(ErrorCode::kTimeout,
                 fmt::format("{} the Docker daemon at {} was cancelled", what, endpoint_.address));
  }
  if (ec == beast::error::timeout) {
    return Error(ErrorCode::kTimeout,
                 fmt::format("the Docker daemon at {} did not answer in time ({})",
                             endpoint_.address, what));
  }
  return Error(ErrorCode::kUnavailable, fmt::format("{} the Docker daemon at {} failed: {}", what,
                                                    endpoint_.address, ec.message()));
}

// The address to connect to: the socket, or the first address the TCP host resolves to.
Result<Protocol::endpoint> Connection::Target(Clock::time_point deadline) {
  if (endpoint_.is_unix())
    return Protocol::endpoint(asio::local::stream_protocol::endpoint(endpoint_.socket_path));
  asio::ip::tcp::resolver resolver(io_);
  beast::error_code ec = asio::error::would_block;
  asio::ip::tcp::resolver::results_type results;
  resolver.async_resolve(
      endpoint_.host, endpoint_.port,
      [&](const beast::error_code& done, asio::ip::tcp::resolver::results_type found) {
        ec = done;
        results = std::move(found);
      });
  asio::steady_timer timer(io_);
  timer.expires_at(deadline);
  timer.async_wait([&](const beast::error_code& expired) {
    if (!expired) resolver.cancel();
  });
  RunUntilDone(ec, [&] { resolver.cancel(); });  // the resolution, the deadline or cancellation
  timer.cancel();
  io_.run();
  if (cancelled_) return tl::unexpected(Failure("resolving the address of", ec));
  if (ec || results.empty()) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot resolve {}: {}", endpoint_.host,
                                 ec ? ec.message() : std::string("no address")));
  }
  return Protocol::endpoint(results.begin()->endpoint());
}

Result<void> Connection::Open(Clock::time_point deadline) {
  auto target = Target(deadline);
  if (!target) return tl::unexpected(target.error());
  stream_.expires_at(deadline);
  beast::error_code ec = asio::error::would_block;
  stream_.async_connect(*target, [&](const beast::error_code& done) { ec = done; });
  if (RunUntilDone(ec)) {
    if (cancelled_) return tl::unexpected(Failure("connecting to", ec));
    ErrorCode code = ec == asio::error::access_denied ? ErrorCode::kPermissionDenied
                     : ec == beast::error::timeout    ? ErrorCode::kTimeout
                                                      : ErrorCode::kUnavailable;
    std::string where = endpoint_.is_unix() ? endpoint_.socket_path : endpoint_.address;
    return MakeError(code, fmt::format("cannot connect to {}: {}", where, ec.message()));
  }
  if (!endpoint_.is_unix()) {
    // Small requests and frames go out at once rather than waiting for an acknowledgement.
    int on = 1;
    setsockopt(stream_.socket().native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  return {};
}

Result<void> Connection::Send(const HttpRequest& request, Clock::time_point deadline) {
  http::request<http::string_body> message{http::string_to_verb(request.method), request.target,
                                           11};
  if (message.method() == http::verb::unknown) {
    return MakeError(ErrorCode::kInternal, "unknown HTTP method " + request.method);
  }
  // Docker ignores the host of a Unix socket request, but HTTP/1.1 requires one.
  message.set(http::field::host, "docker");
  message.set(http::field::user_agent, "codeexec");
  if (!request.body.empty()) message.set(http::field::content_type, request.content_type);
  message.body() = request.body;
  message.prepare_payload();
  stream_.expires_at(deadline);
  beast::error_code ec = asio::error::would_block;
  http::async_write(stream_, message,
                    [&](const beast::error_code& done, std::size_t) { ec = done; });
  if (RunUntilDone(ec)) return tl::unexpected(Failure("sending a request to", ec));
  return {};
}

Result<void> Connection::ReadHeader(Clock::time_point deadline) {
  stream_.expires_at(deadline);
  beast::error_code ec = asio::error::would_block;
  http::async_read_header(stream_, buffer_, parser_,
                          [&](const beast::error_code& done, std::size_t) { ec = done; });
  if (RunUntilDone(ec)) return tl::unexpected(Failure("reading the answer of", ec));
  return {};
}

Result<HttpResponse> Connection::FinishResponse(bool read_body, Clock::time_point deadline) {
  HttpResponse response;
  response.status = parser_.get().result_int();
  for (const auto& field : parser_.get()) {
    response.headers[AsciiLower(std::string_view(field.name_string()))] =
        std::string(field.value());
  }
  if (!read_body) return response;
  // The header was read with an empty body type; the body is read with a string body from here.
  http::response_parser<http::string_body> body_parser(std::move(parser_));
  body_parser.body_limit(kBodyLimit);
  stream_.expires_at(deadline);
  beast::error_code ec = asio::error::would_block;
  http::async_read(stream_, buffer_, body_parser,
                   [&](const beast::error_code& done, std::size_t) { ec = done; });
  if (RunUntilDone(ec)) return tl::unexpected(Failure("reading the answer of", ec));
  response.body = std::move(body_parser.get().body());
  return response;
}

Result<StreamEnd> Connection::Pump(const StreamControl& control,
                                   const std::function<void(std::string_view)>& on_data) {
  // Bytes that arrived with the header belong to the stream.
  if (buffer_.size() > 0) {
    auto data = buffer_.data();
    on_data(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
  }
  std::optional<StreamEnd> interrupted;
  asio::steady_timer timer(io_);
  std::optional<asio::posix::stream_descriptor> cancel_watch;
  // The deadline or the cancellation: tell the caller, then read on for the drain period.
  auto interrupt = [&](StreamEnd why) {
    if (interrupted) return;
    interrupted = why;
    if (cancel_watch) cancel_watch->cancel();
    if (!control.on_interrupt) return stream_.cancel();
    control.on_interrupt(why);
    timer.expires_after(control.drain);
    timer.async_wait([&](const beast::error_code& ec) {
      if (!ec) stream_.cancel();
    });
  };
  if (control.cancel_fd >= 0) {
    int watched = fcntl(control.cancel_fd, F_DUPFD_CLOEXEC, 0);
    if (watched < 0) return ErrnoError("dup", errno);
    cancel_watch.emplace(io_, watched);
    cancel_watch->async_wait(asio::posix::stream_descriptor::wait_read,
                             [&](const beast::error_code& ec) {
                               if (!ec) interrupt(StreamEnd::kCancelled);
                             });
  }
  timer.expires_at(control.deadline);
  timer.async_wait([&](const beast::error_code& ec) {
    if (!ec) interrupt(StreamEnd::kDeadline);
  });
  std::array<char, 65536> chunk;
  beast::error_code end;
  std::function<void()> read_more = [&] {
    stream_.async_read_some(asio::buffer(chunk), [&](const beast::error_code& ec, std::size_t n) {
      if (n > 0) on_data(std::string_view(chunk.data(), n));
      if (!ec) return read_more();
      end = ec;
      timer.cancel();
      if (cancel_watch) cancel_watch->cancel();
    });
  };
  stream_.expires_never();
  read_more();
  io_.restart();
  io_.run();
  if (interrupted) return *interrupted;
  if (end == asio::error::eof || end == asio::error::connection_reset) return StreamEnd::kClosed;
  return tl::unexpected(Failure("reading a stream from", end));
}

Result<void> Connection::ReadBodyInto(const DaemonHttpClient::BodySink& on_body,
                                      Clock::time_point deadline) {
  http::response_parser<http::buffer_body> body_parser(std::move(parser_));
  body_parser.body_limit(boost::none);  // the sink bounds what it keeps
  std::array<char, 65536> chunk;
  stream_.expires_at(deadline);
  while (!body_parser.is_done()) {
    body_parser.get().body().data = chunk.data();
    body_parser.get().body().size = chunk.size();
    beast::error_code ec = asio::error::would_block;
    http::async_read_some(stream_, buffer_, body_parser,
                          [&](const beast::error_code& done, std::size_t) { ec = done; });
    RunUntilDone(ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return tl::unexpected(Failure("reading the answer of", ec));
    std::size_t got = chunk.size() - body_parser.get().body().size;
    if (got == 0) continue;
    if (auto taken = on_body(std::string_view(chunk.data(), got)); !taken) return taken;
  }
  return {};
}

Result<HeldConnection> Connection::DetachSocket() {
  int fd = fcntl(stream_.socket().native_handle(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("dup", errno);
  HeldConnection held{UniqueFd(fd), {}};
  auto data = buffer_.data();
  held.leftover.assign(static_cast<const char*>(data.data()), data.size());
  return held;
}

std::chrono::milliseconds Until(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

}  // namespace

DaemonHttpClient::DaemonHttpClient(DockerEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

Result<HttpResponse> DaemonHttpClient::Request(const HttpRequest& request,
                                               std::chrono::milliseconds timeout) const {
  Clock::time_point deadline = std::min(Clock::now() + timeout, bound_.deadline);
  Connection connection(endpoint_, bound_.cancel_fd);
  if (auto header = connection.Exchange(request, deadline); !header) {
    return tl::unexpected(header.error());
  }
  // HEAD answers and 204/304 have no body; the parser knows, and reads nothing for them.
  return connection.FinishResponse(/*read_body=*/true, deadline);
}

Result<HttpResponse> DaemonHttpClient::Download(const HttpRequest& request,
                                                std::chrono::milliseconds timeout,
                                                const BodySink& on_body) const {
  Clock::time_point deadline = std::min(Clock::now() + timeout, bound_.deadline);
  Connection connection(endpoint_, bound_.cancel_fd);
  if (auto header = connection.Exchange(request, deadline); !header) {
    return tl::unexpected(header.error());
  }
  bool success = connection.SuccessStatus();
  auto response = connection.FinishResponse(/*read_body=*/!success, deadline);
  if (!response || !success) return response;
  if (auto body = connection.ReadBodyInto(on_body, deadline); !body) {
    return tl::unexpected(body.error());
  }
  return response;
}

Result<StreamResult> DaemonHttpClient::Stream(
    const HttpRequest& request, std::chrono::milliseconds header_timeout,
    const StreamControl& control, const std::function<void(std::string_view)>& on_data) const {
  Clock::time_point deadline = control.deadline;
  Clock::time_point header_deadline = std::min(deadline, Clock::now() + header_timeout);
  Connection connection(endpoint_, control.cancel_fd);
  StreamResult result;
  if (auto header = connection.Exchange(request, header_deadline); !header) {
    // The caller's cancellation or deadline, not the daemon's slowness.
    if (connection.cancelled()) {
      result.end = StreamEnd::kCancelled;
    } else if (header.error().code() == ErrorCode::kTimeout && Until(deadline).count() <= 0) {
      result.end = StreamEnd::kDeadline;
    } else {
      return tl::unexpected(header.error());
    }
    return result;
  }
  bool success = connection.SuccessStatus();
  auto response = connection.FinishResponse(/*read_body=*/!success, header_deadline);
  if (!response) return tl::unexpected(response.error());
  result.response = std::move(*response);
  if (!success) return result;
  auto end = connection.Pump(control, on_data);
  if (!end) return tl::unexpected(end.error());
  result.end = *end;
  return result;
}

Result<HeldConnection> DaemonHttpClient::Hold(const HttpRequest& request,
                                              std::chrono::milliseconds timeout) const {
  Clock::time_point deadline = std::min(Clock::now() + timeout, bound_.deadline);
  Connection connection(endpoint_, bound_.cancel_fd);
  if (auto header = connection.Exchange(request, deadline); !header) {
    return tl::unexpected(header.error());
  }
  if (!connection.SuccessStatus()) {
    auto response = connection.FinishResponse(/*read_body=*/true, deadline);
    if (!response) return tl::unexpected(response.error());
    return MakeError(ErrorCode::kInternal,
                     fmt::format("{} {} answered {}: {}", request.method, request.target,
                                 response->status, response->body));
  }
  return connection.DetachSocket();
}

}  // namespace codeexec::docker
