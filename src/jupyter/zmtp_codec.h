// The bytes of ZMTP 3.x (the ZeroMQ wire protocol, rfc.zeromq.org specs 23 and 37) that a client
// of Jupyter kernels needs: the greeting with the NULL mechanism, frames and commands, the
// READY properties, and an incremental frame decoder.
//
// Everything here is pure: no sockets, no clocks. Input is untrusted (a kernel is code the user
// runs, and an endpoint may be anything), so every parser bounds what it reads and accepts
// input in pieces of any size, down to one byte at a time.
#ifndef CODEEXEC_SRC_JUPYTER_ZMTP_CODEC_H_
#define CODEEXEC_SRC_JUPYTER_ZMTP_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace codeexec::jupyter::zmtp {

inline constexpr std::size_t kGreetingSize = 64;
// Commands carry a few short properties (READY), a reason (ERROR) or a ping context: anything
// longer is not a peer we understand.
inline constexpr std::size_t kMaxCommandSize = 64 * 1024;

// The socket types this client implements, and the peers each may talk to (spec 37's table).
enum class SocketType { kDealer, kSub, kReq };
std::string_view Name(SocketType type);
bool AcceptsPeer(SocketType ours, std::string_view peer_type);

// Our greeting: version 3.1, mechanism NULL, not a server. Sent whole, at once, which every
// ZMTP 3.x peer accepts and which commits us to nothing older.
std::string Greeting();

// Checks the part of the peer's greeting received so far, so that a peer that is not ZMTP 3,
// or wants another security mechanism, is dropped at its first wrong byte. Returns the peer's
// minor version once all 64 bytes are in, nullopt while they are coming and all is well, or
// what is wrong.
tl::expected<std::optional<int>, std::string> CheckGreeting(std::string_view received);

// Appends one frame: short (size < 256) or long, MORE and COMMAND as given.
void AppendFrame(std::string& out, std::string_view body, bool more, bool command = false);
// Appends a command frame: name length, name, data.
void AppendCommand(std::string& out, std::string_view name, std::string_view data);
// Appends a message, one frame per element, MORE on all but the last.
void AppendMessage(std::string& out, std::span<const std::string> frames);
// The bytes a message takes on the wire.
std::size_t WireSize(std::span<const std::string> frames);

// READY with Socket-Type and, for the types a ROUTER addresses, Identity.
std::string ReadyCommand(SocketType type, std::string_view identity);

struct Command {
  std::string_view name;
  std::string_view data;
};
// Splits a command frame's body; fails when the name's length exceeds the body.
tl::expected<Command, std::string> ParseCommand(std::string_view body);
// The Socket-Type property of a READY command's data (names are case-insensitive; other
// properties are skipped). Fails on a truncated property or a missing Socket-Type.
tl::expected<std::string, std::string> ReadySocketType(std::string_view data);

struct Frame {
  bool command = false;
  bool more = false;
  std::string body;
};

// Splits a byte stream into frames. Feed() takes any amount of input and stops after each
// complete frame so the caller can act on it (and change the limit) before the next.
class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kError };

  // Consumes from the front of `input`. `max_body` bounds a message frame's body (commands
  // are bounded by kMaxCommandSize); a larger size is an error before any of its body is read.
  Status Feed(std::string_view& input, std::uint64_t max_body);
  // The frame Feed() just completed; valid until the next Feed().
  Frame& frame() { return frame_; }
  // What was wrong, after kError.
  const std::string& error() const { return error_; }
  void Reset();

 private:
  Status ReadHeader(std::string_view& input, std::uint64_t max_body);

  unsigned char header_[9] = {};
  std::size_t header_size_ = 0;  // bytes of header_ received
  bool in_body_ = false;
  std::uint64_t body_size_ = 0;
  Frame frame_;
  std::string error_;
};

// `text` with every byte outside printable ASCII shown as \xNN, cut at 64 bytes: for error
// messages quoting what a peer sent.
std::string Printable(std::string_view text);

}  // namespace codeexec::jupyter::zmtp

#endif  // CODEEXEC_SRC_JUPYTER_ZMTP_CODEC_H_
