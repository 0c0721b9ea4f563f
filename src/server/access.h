// Who may talk to the server: the bearer token, and on loopback listeners the Host and Origin
// checks that stop DNS rebinding (a web page on another site whose name resolves to 127.0.0.1
// must not reach a local server through the visitor's browser).
//
// The token is compared in constant time (both sides hashed with SHA-256, the digests compared
// with CRYPTO_memcmp), so that response timing reveals nothing of it. Clients send it as
// "Authorization: Bearer TOKEN", or as the password of Basic authentication (for clients that
// can only put credentials in the URL: http://codeexec:TOKEN@127.0.0.1:8080). Thread-safe
// (immutable).
#ifndef CODEEXEC_SRC_SERVER_ACCESS_H_
#define CODEEXEC_SRC_SERVER_ACCESS_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace codeexec::server {

// "localhost", an IPv4 address in 127.0.0.0/8, or ::1 (with or without brackets).
bool IsLoopbackHost(std::string_view host);

// The host part of a Host header value or of an Origin ("http://name:port"): without the port
// and the brackets of an IPv6 literal, lower case. Empty when malformed.
std::string HostOfHostHeader(std::string_view value);
std::string HostOfOrigin(std::string_view origin);

class AccessGuard {
 public:
  // `token` empty: no authentication (--no-auth). `loopback`: the server listens on a loopback
  // address only, and refuses requests that name another host.
  AccessGuard(std::string_view token, bool loopback);

  bool auth_required() const { return auth_required_; }

  // Whether the Authorization header's value carries the token.
  bool Authorized(std::optional<std::string_view> authorization) const;

  // Why a request with these Host and Origin headers is refused (a message for a 403 answer), or
  // nullopt when it may proceed.
  std::optional<std::string> CheckHostAndOrigin(std::optional<std::string_view> host,
                                                std::optional<std::string_view> origin) const;

 private:
  bool Matches(std::string_view candidate) const;

  bool auth_required_;
  bool loopback_;
  std::array<unsigned char, 32> token_digest_{};
};

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_ACCESS_H_
