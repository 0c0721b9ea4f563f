#include "server/http_server.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "codeexec/log.h"
#include "server/http_types.h"

namespace codeexec::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string ErrorBody(std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view Reason(int status) {
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  return reason.empty() ? "Unknown" : reason;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding (and '+' as space when `form`); nullopt for a malformed escape or a NUL.
std::optional<std::string> Decode(std::string_view text, bool form) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexDigit(text[i + 1]);
      int low = HexDigit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && form) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace

class Connection;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router& router, const AccessGuard& guard,
       service::Metrics& metrics)
      : options_(std::move(options)),
        router_(router),
        guard_(guard),
        metrics_(metrics),
        ioc_(static_cast<int>(std::max<std::size_t>(1, options_.io_threads))),
        acceptor_(net::make_strand(ioc_)) {}

  Result<void> Listen();
  void Accept();
  void Start() {
    work_.emplace(net::make_work_guard(ioc_));
    Accept();
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.io_threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  void StopAccepting() {
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
  }
  void CloseConnections();
  void Stop() {
    work_.reset();
    ioc_.stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

  void Forget(Connection* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
  }

  const HttpServerOptions options_;
  const Router& router_;
  const AccessGuard& guard_;
  service::Metrics& metrics_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::map<Connection*, std::weak_ptr<Connection>> connections_;
};

// One client connection: reads requests one after the other and answers each through a
// Responder. Everything runs on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}
  ~Connection() { server_.Forget(this); }

  void Begin() { ReadHeader(); }

  // Closes the connection from another thread (shutdown).
  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Abort(); });
  }

  // The Responder's calls, on the strand. `generation` names the request they answer.
  void Send(uint64_t generation, Response response);
  void StartStream(uint64_t generation, int status, Headers headers);
  void Write(uint64_t generation, std::string chunk);
  void Finish(uint64_t generation);

  // The connection's strand.
  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void OnBody(beast::error_code ec);
  void Dispatch(const Router::Match& match);
  // Answers before the body was read: the connection cannot be reused after.
  void Refuse(int status, std::string_view code, std::string_view message, Headers extra = {});
  void Enqueue(std::string bytes);
  void WriteNext();
  void OnWritten(beast::error_code ec);
  void Watch();
  void OnWatch(beast::error_code ec, std::size_t bytes);
  void ResponseDone();
  void Linger();
  void Abort();

  static constexpr std::size_t kLingerBytes = std::size_t{1} << 20;
  static constexpr std::chrono::milliseconds kLingerTime{2000};

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;

  // The request being answered.
  uint64_t generation_ = 0;
  std::shared_ptr<class ConnectionResponder> responder_;
  std::string route_ = "(none)";
  std::string method_;
  int status_ = 0;
  bool keep_alive_ = false;
  bool streaming_ = false;
  bool answered_ = false;  // the whole answer is queued

  std::deque<std::string> out_;
  bool writing_ = false;
  bool watching_ = false;
  bool resume_after_watch_ = false;
  bool closed_ = false;
  bool linger_started_ = false;
  std::size_t lingered_ = 0;
};

class ConnectionResponder : public Responder {
 public:
  ConnectionResponder(std::weak_ptr<Connection> connection, uint64_t generation,
                      net::any_io_executor strand)
      : connection_(std::move(connection)), generation_(generation), strand_(std::move(strand)) {}

  void Send(Response response) override {
    Post([generation = generation_, response = std::move(response)](Connection& c) mutable {
      c.Send(generation, std::move(response));
    });
  }
  void StartStream(int status, Headers headers) override {
    Post([generation = generation_, status, headers = std::move(headers)](Connection& c) mutable {
      c.StartStream(generation, status, std::move(headers));
    });
  }
  void Write(std::string chunk) override {
    Post([generation = generation_, chunk = std::move(chunk)](Connection& c) mutable {
      c.Write(generation, std::move(chunk));
    });
  }
  void Finish() override {
    Post([generation = generation_](Connection& c) { c.Finish(generation); });
  }
  const CancellationToken& disconnected() const override { return disconnected_; }
  void Disconnect() { disconnected_.Cancel(); }

 private:
  template <typename F>
  void Post(F&& f) {
    net::post(strand_, [weak = connection_, f = std::forward<F>(f)]() mutable {
      if (auto connection = weak.lock()) f(*connection);
    });
  }

  std::weak_ptr<Connection> connection_;
  uint64_t generation_;
  net::any_io_executor strand_;
  CancellationToken disconnected_;
};

void Connection::ReadHeader() {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(boost::none);
  stream_.expires_after(server_.options_.client_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(beast::error_code ec) {
  if (ec) {
    if (ec == http::error::header_limit) {
      return Refuse(431, "too_large", "the request's headers are larger than 16 KiB");
    }
    if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
        ec != net::error::operation_aborted && ec != net::error::eof &&
        ec != net::error::connection_reset) {
      return Refuse(400, "bad_request", "the request is not valid HTTP/1.1: " + ec.message());
    }
    return Abort();
  }
  auto& request = parser_->get();
  method_ = std::string(request.method_string());
  route_ = "(none)";
  auto header = [&](http::field field) -> std::optional<std::string_view> {
    auto found = request.find(field);
    if (found == request.end()) return std::nullopt;
    return std::string_view(found->value().data(), found->value().size());
  };
  if (auto refusal = server_.guard_.CheckHostAndOrigin(header(http::field::host),
                                                       header(http::field::origin))) {
    return Refuse(403, "forbidden", *refusal);
  }
  std::string_view target(request.target().data(), request.target().size());
  std::string_view raw_path = target.substr(0, target.find('?'));
  auto path = Decode(raw_path, false);
  if (!path || !raw_path.starts_with('/')) {
    return Refuse(400, "bad_request", "the request's path is not a valid URL path");
  }
  auto found = server_.router_.Find(method_, *path);
  if (auto* miss = std::get_if<Router::Miss>(&found)) {
    if (miss->status == 405) {
      std::string allowed;
      for (const auto& method : miss->allowed) allowed += (allowed.empty() ? "" : ", ") + method;
      return Refuse(405, "method_not_allowed",
                    fmt::format("{} does not take {} (it takes {})", *path, method_, allowed),
                    {{"Allow", allowed}});
    }
    return Refuse(404, "not_found", fmt::format("no route {} {}", method_, *path));
  }
  auto match = std::get<Router::Match>(std::move(found));
  route_ = match.route;
  if (!match.options->public_route &&
      !server_.guard_.Authorized(header(http::field::authorization))) {
    return Refuse(401, "unauthorized",
                  "missing or wrong token: send 'Authorization: Bearer TOKEN' with the token the "
                  "server printed at start (or was given with --token, --token-file or "
                  "CODEEXEC_TOKEN)",
                  {{"WWW-Authenticate", "Bearer"}});
  }
  std::size_t limit = match.options->max_body ? match.options->max_body : server_.options_.max_body;
  auto declared = parser_->content_length();
  if (declared && *declared > limit) {
    return Refuse(
        413, "too_large",
        fmt::format("the body has {} bytes; this route takes at most {}", *declared, limit));
  }
  parser_->body_limit(limit);
  if (parser_->is_done()) return Dispatch(match);
  stream_.expires_after(server_.options_.client_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this(), match = std::move(match)](beast::error_code body_ec,
                                                                         std::size_t) mutable {
                     if (body_ec) return self->OnBody(body_ec);
                     self->Dispatch(match);
                   });
}

void Connection::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return Refuse(413, "too_large", "the body is larger than this route takes");
  }
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted) {
    return Abort();
  }
  Refuse(400, "bad_request", "the request's body could not be read: " + ec.message());
}

void Connection::Dispatch(const Router::Match& match) {
  auto& raw = parser_->get();
  Request request;
  request.method = method_;
  std::string_view target(raw.target().data(), raw.target().size());
  std::size_t question = target.find('?');
  request.path = *Decode(target.substr(0, question), false);
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      std::size_t eq = pair.find('=');
      auto key = Decode(pair.substr(0, eq), true);
      auto value = Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (key && value) request.query[*key] = *value;
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  for (const auto& field : raw) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(raw.body());
  request.params = match.params;
  request.route = match.route;
  keep_alive_ = raw.keep_alive();
  ++generation_;
  answered_ = false;
  streaming_ = false;
  status_ = 0;
  responder_ = std::make_shared<ConnectionResponder>(weak_from_this(), generation_, executor());
  if (buffer_.size() == 0) Watch();
  (*match.handler)(std::move(request), responder_);
}

void Connection::Refuse(int status, std::string_view code, std::string_view message,
                        Headers extra) {
  keep_alive_ = false;
  ++generation_;
  answered_ = false;
  streaming_ = false;
  responder_.reset();
  Response response = JsonResponse(status, ErrorBody(code, message));
  for (auto& header : extra) response.headers.push_back(std::move(header));
  Send(generation_, std::move(response));
}

void Connection::Send(uint64_t generation, Response response) {
  if (generation != generation_ || answered_ || closed_) return;
  status_ = response.status;
  std::string head = fmt::format("HTTP/1.1 {} {}\r\n", response.status, Reason(response.status));
  for (const auto& [name, value] : response.headers) head += fmt::format("{}: {}\r\n", name, value);
  head += fmt::format("Content-Length: {}\r\n", response.body.size());
  if (!keep_alive_) head += "Connection: close\r\n";
  head += "\r\n";
  answered_ = true;
  Enqueue(std::move(head) + response.body);
}

void Connection::StartStream(uint64_t generation, int status, Headers headers) {
  if (generation != generation_ || answered_ || streaming_ || closed_) return;
  status_ = status;
  streaming_ = true;
  std::string head = fmt::format("HTTP/1.1 {} {}\r\n", status, Reason(status));
  for (const auto& [name, value] : headers) head += fmt::format("{}: {}\r\n", name, value);
  head += "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
  if (!keep_alive_) head += "Connection: close\r\n";
  head += "\r\n";
  Enqueue(std::move(head));
}

void Connection::Write(uint64_t generation, std::string chunk) {
  if (generation != generation_ || !streaming_ || answered_ || closed_ || chunk.empty()) return;
  Enqueue(fmt::format("{:x}\r\n", chunk.size()) + chunk + "\r\n");
}

void Connection::Finish(uint64_t generation) {
  if (generation != generation_ || !streaming_ || answered_ || closed_) return;
  answered_ = true;
  Enqueue("0\r\n\r\n");
}

void Connection::Enqueue(std::string bytes) {
  out_.push_back(std::move(bytes));
  if (!writing_) WriteNext();
}

void Connection::WriteNext() {
  if (out_.empty()) {
    writing_ = false;
    if (answered_) ResponseDone();
    return;
  }
  writing_ = true;
  // The write's own deadline; a pending watch keeps none (it waits as long as the handler).
  stream_.expires_after(server_.options_.client_timeout);
  net::async_write(
      stream_, net::buffer(out_.front()),
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(beast::error_code ec) {
  if (ec) return Abort();
  out_.pop_front();
  WriteNext();
}

void Connection::ResponseDone() {
  server_.metrics_.CountRequest(route_, method_, status_);
  answered_ = false;
  ++generation_;  // later calls of the finished request's Responder do nothing
  responder_.reset();
  if (!keep_alive_) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return Linger();
  }
  if (watching_) {
    resume_after_watch_ = true;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);  // OnWatch then reads the next request
    return;
  }
  ReadHeader();
}

// Closing a socket with unread bytes makes the kernel send a reset, which can destroy the answer
// before the client reads it (a refusal sent before the body was read: 401, 413). So read and
// drop what the client still sends, up to a bound of bytes and time, then close.
void Connection::Linger() {
  if (closed_) return;
  if (lingered_ >= kLingerBytes) return Abort();
  if (!linger_started_) {
    linger_started_ = true;
    stream_.expires_after(std::min(server_.options_.client_timeout, kLingerTime));
  }
  auto scratch = std::make_shared<std::array<char, 16384>>();
  stream_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch](
                                                     beast::error_code ec, std::size_t bytes) {
    self->lingered_ += bytes;
    if (ec) return self->Abort();
    self->Linger();
  });
}

void Connection::Watch() {
  watching_ = true;
  resume_after_watch_ = false;
  stream_.expires_never();
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                            self->OnWatch(ec, bytes);
                          });
}

void Connection::OnWatch(beast::error_code ec, std::size_t bytes) {
  watching_ = false;
  if (!ec) {
    buffer_.commit(bytes);  // the next request, sent early: read once this one is answered
    if (resume_after_watch_) ReadHeader();
    return;
  }
  if (ec == net::error::operation_aborted && resume_after_watch_) return ReadHeader();
  Abort();  // the client went away
}

void Connection::Abort() {
  if (closed_) return;
  closed_ = true;
  if (responder_) {
    server_.metrics_.CountRequest(route_, method_, 499);  // the client closed the request
    responder_->Disconnect();
  }
  responder_.reset();
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

Result<void> HttpServer::Impl::Listen() {
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--listen: '{}' is not an IP address (use 127.0.0.1, ::1 or "
                                 "0.0.0.0)",
                                 options_.host));
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return {};
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto connection = std::make_shared<Connection>(std::move(socket), *this);
      bool room;
      {
        std::lock_guard lock(mutex_);
        room = connections_.size() < options_.max_connections;
        if (room) connections_[connection.get()] = connection;
      }
      if (room) {
        net::dispatch(connection->executor(), [connection] { connection->Begin(); });
      }
    }
    Accept();
  });
}

void HttpServer::Impl::CloseConnections() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    for (auto& [raw, weak] : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) connection->Close();
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router, const AccessGuard& guard,
                       service::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, guard, metrics)) {}

HttpServer::~HttpServer() { Stop(); }

Result<void> HttpServer::Listen() { return impl_->Listen(); }
uint16_t HttpServer::port() const { return impl_->port_; }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::StopAccepting() { impl_->StopAccepting(); }
void HttpServer::CloseConnections() { impl_->CloseConnections(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace codeexec::server
