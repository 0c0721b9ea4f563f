// DaemonHttpClient: HTTP/1.1 to the Docker daemon, over its Unix socket or plain TCP (the
// endpoint's address), just enough for the Docker Engine API.
//
// Each call opens its own connection (a Unix or loopback connect costs microseconds, and a fresh
// connection needs no stale keep-alive handling), sends one request and reads the answer. TCP
// connections have Nagle's algorithm off, so small frames are not held back. The shapes:
//   Request  an ordinary request; the whole response body is returned.
//   Download an ordinary request whose body is handed to a callback as it arrives (an archive of
//            any size, with bounded memory).
//   Stream   a request the daemon answers by hijacking the connection (exec start, attach):
//            after the response header, every byte is handed to a callback as it arrives, until
//            the daemon closes the stream or a deadline or cancellation (StreamControl) ends it.
//   Hold     like Stream, but the connection is kept open and returned with the bytes that came
//            after the header (the container's attach stream, read and written by the caller;
//            closing it, or this process dying, closes the container's stdin).
//
// Every call ends by its own timeout. A client may also carry a CallBound (an earlier deadline,
// and a descriptor that becomes readable when the caller cancels) that ends Request, Download and
// Hold sooner; Stream is bounded by its StreamControl instead.
//
// Errors: kUnavailable when nothing answers at the address (named in the message),
// kTimeout when the daemon does not answer in time or the call was cancelled (the caller, which
// holds the token, tells the two apart), kInternal for malformed HTTP. HTTP error statuses are
// not errors here: the caller reads status and body. Boost.Beast stays inside
// daemon_http_client.cc. Thread-safe: calls share no state.
#ifndef CODEEXEC_SRC_DOCKER_DAEMON_HTTP_CLIENT_H_
#define CODEEXEC_SRC_DOCKER_DAEMON_HTTP_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "codeexec/error.h"
#include "docker/docker_endpoint.h"
#include "process/unique_fd.h"

namespace codeexec::docker {

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // "/v1.41/containers/json?all=1"
  std::string body;    // sent as application/json when not empty
  std::string content_type = "application/json";
};

struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
};

// How a Stream call ended.
enum class StreamEnd {
  kClosed,     // the daemon closed the stream (the exec's output is complete)
  kDeadline,   // the deadline passed first
  kCancelled,  // the cancellation fd became readable first
};

// What ends every call of a client early, whatever the call's own timeout.
struct CallBound {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  int cancel_fd = -1;  // readable once the caller cancels; -1 for none; not owned
};

// How a Stream call is bounded.
struct StreamControl {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  int cancel_fd = -1;  // readable once the caller cancels; -1 for none
  // Called once, from the reading thread, when the deadline passes or `cancel_fd` fires; reading
  // then goes on for up to `drain`, so that what was produced before that moment still arrives
  // (the callback typically kills the stream's producer). Empty: stop reading at once.
  std::function<void(StreamEnd)> on_interrupt;
  std::chrono::milliseconds drain{5000};
};

struct StreamResult {
  HttpResponse response;  // status and headers; the body only for a non-2xx answer
  StreamEnd end = StreamEnd::kClosed;
};

// A connection the caller now drives itself (Hold).
struct HeldConnection {
  UniqueFd fd;
  std::string leftover;  // bytes that arrived with the response header
};

class DaemonHttpClient {
 public:
  using Clock = std::chrono::steady_clock;
  using BodySink = std::function<Result<void>(std::string_view)>;

  explicit DaemonHttpClient(DockerEndpoint endpoint);

  const DockerEndpoint& endpoint() const { return endpoint_; }
  // The bound of every later Request, Download and Hold; its cancel_fd must stay open meanwhile.
  void set_bound(CallBound bound) { bound_ = bound; }

  Result<HttpResponse> Request(const HttpRequest& request, std::chrono::milliseconds timeout) const;

  // Sends `request`; on a 2xx answer hands the body to `on_body` as it arrives (an error from it
  // ends the call with that error) and returns the response without its body. A non-2xx answer
  // is returned whole, with its body.
  Result<HttpResponse> Download(const HttpRequest& request, std::chrono::milliseconds timeout,
                                const BodySink& on_body) const;

  // Sends `request`; on a 2xx or 101 answer, calls `on_data` with the raw bytes after the header
  // as they arrive, until the stream closes or `control` ends it. The header must arrive within
  // `header_timeout`; `control`'s deadline or cancellation before then ends the call with that
  // StreamEnd (the request may have reached the daemon).
  Result<StreamResult> Stream(const HttpRequest& request, std::chrono::milliseconds header_timeout,
                              const StreamControl& control,
                              const std::function<void(std::string_view)>& on_data) const;

  // Sends `request` and, on a 2xx or 101 answer, returns the open connection without reading
  // further. A non-2xx answer is an Error quoting the body.
  Result<HeldConnection> Hold(const HttpRequest& request, std::chrono::milliseconds timeout) const;

 private:
  DockerEndpoint endpoint_;
  CallBound bound_;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_DAEMON_HTTP_CLIENT_H_
