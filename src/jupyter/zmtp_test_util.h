// Helpers for the ZMTP client's tests: driving a ZmtpSocket until something happens, with a
// bound on every wait so that a failing test fails instead of hanging.
#ifndef CODEEXEC_SRC_JUPYTER_ZMTP_TEST_UTIL_H_
#define CODEEXEC_SRC_JUPYTER_ZMTP_TEST_UTIL_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "jupyter/zmtp_socket.h"

namespace codeexec::jupyter::zmtp_test {

using std::chrono::milliseconds;

inline constexpr milliseconds kPatience{5000};

// Does `socket`'s connecting, reading and writing until `done()` holds; false after `timeout`.
template <typename Done>
bool PumpUntil(ZmtpSocket& socket, Done done, milliseconds timeout = kPatience) {
  auto deadline = ZmtpSocket::Clock::now() + timeout;
  ZmtpSocket* sockets[] = {&socket};
  while (!done()) {
    if (ZmtpSocket::Clock::now() >= deadline) return false;
    ZmtpSocket::Poll(sockets, {}, milliseconds(2));
  }
  return true;
}

// Runs `socket` for `duration`, whatever happens.
inline void PumpFor(ZmtpSocket& socket, milliseconds duration) {
  PumpUntil(
      socket, [] { return false; }, duration);
}

inline std::optional<std::vector<std::string>> ReceiveWithin(ZmtpSocket& socket,
                                                             milliseconds timeout = kPatience) {
  std::optional<std::vector<std::string>> message;
  PumpUntil(
      socket, [&] { return (message = socket.TryReceive()).has_value(); }, timeout);
  return message;
}

inline ZmtpOptions Options(zmtp::SocketType type, std::string identity = {}) {
  ZmtpOptions options;
  options.type = type;
  options.identity = std::move(identity);
  return options;
}

}  // namespace codeexec::jupyter::zmtp_test

#endif  // CODEEXEC_SRC_JUPYTER_ZMTP_TEST_UTIL_H_
