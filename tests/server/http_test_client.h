// A small blocking HTTP/1.1 client (Boost.Beast) for the server's tests and benchmark: one
// keep-alive connection to 127.0.0.1, the bearer token on every request. Header-only.
#ifndef CODEEXEC_TESTS_SERVER_HTTP_TEST_CLIENT_H_
#define CODEEXEC_TESTS_SERVER_HTTP_TEST_CLIENT_H_

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace codeexec::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string Header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
};

// One connection to the server; reconnects when the server closed it.
class HttpClient {
 public:
  HttpClient(uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}

  HttpReply Request(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        Connect();
        http::request<http::string_body> request(http::string_to_verb(method), target, 11);
        request.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
        if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
        for (const auto& [name, value] : headers) request.set(name, value);
        request.body() = body;
        request.prepare_payload();
        http::write(*stream_, request);
        boost::beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 << 20);
        http::read(*stream_, buffer, parser);
        auto& response = parser.get();
        HttpReply reply;
        reply.status = response.result_int();
        for (const auto& field : response) {
          std::string name(field.name_string());
          for (char& c : name) c = static_cast<char>(std::tolower(c));
          reply.headers[name] = std::string(field.value());
        }
        reply.body = response.body();
        if (!response.keep_alive()) stream_.reset();
        return reply;
      } catch (const boost::system::system_error&) {
        stream_.reset();
        if (attempt == 1) throw;
      }
    }
    return {};
  }

  // Sends a request and reads the answer's body as it comes, handing each NDJSON line to
  // `on_line`; stops early (closing the connection) when on_line returns false.
  void Stream(const std::string& target, const std::string& body,
              const std::function<bool(const std::string&)>& on_line) {
    namespace http = boost::beast::http;
    Connect();
    http::request<http::string_body> request(http::verb::post, target, 11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    request.set(http::field::authorization, "Bearer " + token_);
    request.set(http::field::accept, "application/x-ndjson");
    request.body() = body;
    request.prepare_payload();
    http::write(*stream_, request);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    http::read_header(*stream_, buffer, parser);
    std::string pending;
    char chunk[4096];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      boost::beast::error_code ec;
      // read_some: what has arrived, not a full buffer (read() would wait for 4 KiB or the end).
      http::read_some(*stream_, buffer, parser, ec);
      if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
      pending.append(chunk, sizeof chunk - parser.get().body().size);
      std::size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        if (!on_line(line)) {
          Close();
          return;
        }
      }
    }
  }

  void Close() { stream_.reset(); }

 private:
  void Connect() {
    if (stream_) return;
    stream_.emplace(ioc_);
    stream_->connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  }

  boost::asio::io_context ioc_;
  uint16_t port_;
  std::string token_;
  std::optional<boost::beast::tcp_stream> stream_;
};

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_SERVER_HTTP_TEST_CLIENT_H_
