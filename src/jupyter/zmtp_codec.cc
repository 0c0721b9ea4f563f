#include "jupyter/zmtp_codec.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/ascii.h"

namespace codeexec::jupyter::zmtp {
namespace {

constexpr unsigned char kMore = 0x01;
constexpr unsigned char kLong = 0x02;
constexpr unsigned char kCommand = 0x04;
constexpr unsigned char kReservedBits = 0xF8;
constexpr std::size_t kMechanismOffset = 12;
constexpr std::size_t kMechanismSize = 20;
constexpr std::string_view kNull = "NULL";

void AppendBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

std::uint64_t ReadBigEndian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = (value << 8) | bytes[i];
  return value;
}

void AppendHeader(std::string& out, std::size_t size, unsigned char flags) {
  if (size > 255) {
    out.push_back(static_cast<char>(flags | kLong));
    AppendBigEndian(out, size, 8);
  } else {
    out.push_back(static_cast<char>(flags));
    out.push_back(static_cast<char>(size));
  }
}

void AppendProperty(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  AppendBigEndian(out, value.size(), 4);
  out.append(value);
}

std::string_view Byte(std::string_view text, std::size_t i) { return text.substr(i, 1); }

}  // namespace

std::string_view Name(SocketType type) {
  switch (type) {
    case SocketType::kDealer:
      return "DEALER";
    case SocketType::kSub:
      return "SUB";
    case SocketType::kReq:
      return "REQ";
  }
  return "?";
}

bool AcceptsPeer(SocketType ours, std::string_view peer) {
  switch (ours) {
    case SocketType::kDealer:
      return peer == "ROUTER" || peer == "DEALER" || peer == "REP";
    case SocketType::kSub:
      return peer == "PUB" || peer == "XPUB";
    case SocketType::kReq:
      return peer == "ROUTER" || peer == "REP";
  }
  return false;
}

std::string Greeting() {
  std::string greeting(kGreetingSize, '\0');
  greeting[0] = '\xFF';
  greeting[9] = '\x7F';
  greeting[10] = 3;  // version 3.1
  greeting[11] = 1;
  greeting.replace(kMechanismOffset, kNull.size(), kNull);
  return greeting;  // as-server and the filler stay zero
}

tl::expected<std::optional<int>, std::string> CheckGreeting(std::string_view received) {
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(received[i]); };
  if (!received.empty() && at(0) != 0xFF) {
    return tl::unexpected(fmt::format("not a ZeroMQ peer: its greeting starts with {}",
                                      Printable(Byte(received, 0))));
  }
  if (received.size() >= 10 && at(9) != 0x7F) {
    return tl::unexpected(std::string("a ZeroMQ peer older than ZMTP 3.0 (libzmq < 4)"));
  }
  if (received.size() >= 11 && at(10) < 3) {
    return tl::unexpected(fmt::format("a ZeroMQ peer speaking ZMTP {}.x (3.0 or later needed)",
                                      static_cast<int>(at(10))));
  }
  if (received.size() >= kMechanismOffset + kMechanismSize) {
    std::string_view mechanism = received.substr(kMechanismOffset, kMechanismSize);
    std::string_view name = mechanism.substr(0, mechanism.find('\0'));
    bool padded = mechanism.find_first_not_of('\0', name.size()) == std::string_view::npos;
    if (name != kNull || !padded) {
      return tl::unexpected(
          fmt::format("the peer asks for the security mechanism \"{}\"; only NULL is supported",
                      Printable(padded ? name : mechanism)));
    }
  }
  if (received.size() < kGreetingSize) return std::nullopt;
  // A newer major version talks to us in ours (spec 37, "Version Negotiation").
  return at(10) > 3 ? 1 : std::min<int>(at(11), 1);
}

void AppendFrame(std::string& out, std::string_view body, bool more, bool command) {
  AppendHeader(out, body.size(), (more ? kMore : 0) | (command ? kCommand : 0));
  out.append(body);
}

void AppendCommand(std::string& out, std::string_view name, std::string_view data) {
  AppendHeader(out, 1 + name.size() + data.size(), kCommand);
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  out.append(data);
}

void AppendMessage(std::string& out, std::span<const std::string> frames) {
  for (std::size_t i = 0; i < frames.size(); ++i)
    AppendFrame(out, frames[i], i + 1 < frames.size());
}

std::size_t WireSize(std::span<const std::string> frames) {
  std::size_t size = 0;
  for (const auto& frame : frames) size += (frame.size() > 255 ? 9 : 2) + frame.size();
  return size;
}

std::string ReadyCommand(SocketType type, std::string_view identity) {
  std::string data;
  AppendProperty(data, "Socket-Type", Name(type));
  if (type != SocketType::kSub) AppendProperty(data, "Identity", identity);
  std::string command;
  AppendCommand(command, "READY", data);
  return command;
}

tl::expected<Command, std::string> ParseCommand(std::string_view body) {
  if (body.empty()) return tl::unexpected(std::string("an empty command"));
  std::size_t name_size = static_cast<unsigned char>(body[0]);
  if (name_size == 0 || 1 + name_size > body.size()) {
    return tl::unexpected(std::string("a command whose name does not fit in it"));
  }
  return Command{body.substr(1, name_size), body.substr(1 + name_size)};
}

tl::expected<std::string, std::string> ReadySocketType(std::string_view data) {
  while (!data.empty()) {
    std::size_t name_size = static_cast<unsigned char>(data[0]);
    if (name_size == 0 || data.size() < 1 + name_size + 4) {
      return tl::unexpected(std::string("a READY command with a truncated property"));
    }
    std::string_view name = data.substr(1, name_size);
    auto value_size =
        ReadBigEndian(reinterpret_cast<const unsigned char*>(data.data() + 1 + name_size), 4);
    data.remove_prefix(1 + name_size + 4);
    if (value_size > data.size()) {
      return tl::unexpected(std::string("a READY command with a truncated property"));
    }
    if (name.size() == 11 && StartsWithNoCase(name, "Socket-Type"))
      return std::string(data.substr(0, value_size));
    data.remove_prefix(value_size);
  }
  return tl::unexpected(std::string("a READY command without a Socket-Type"));
}

FrameDecoder::Status FrameDecoder::Feed(std::string_view& input, std::uint64_t max_body) {
  if (!in_body_) {
    Status header = ReadHeader(input, max_body);
    if (header != Status::kFrame) return header;
  }
  std::size_t take = static_cast<std::size_t>(
      std::min<std::uint64_t>(input.size(), body_size_ - frame_.body.size()));
  frame_.body.append(input.data(), take);
  input.remove_prefix(take);
  if (frame_.body.size() < body_size_) return Status::kNeedMore;
  in_body_ = false;
  header_size_ = 0;
  return Status::kFrame;
}

// Reads the flags and size a byte at a time (at most nine bytes, so the cost is nothing), and
// checks them before any body arrives. Returns kFrame once the body can be read.
FrameDecoder::Status FrameDecoder::ReadHeader(std::string_view& input, std::uint64_t max_body) {
  while (true) {
    if (input.empty()) return Status::kNeedMore;
    header_[header_size_++] = static_cast<unsigned char>(input.front());
    input.remove_prefix(1);
    const unsigned char flags = header_[0];
    if (header_size_ == 1) {
      if (flags & kReservedBits) {
        error_ = fmt::format("a frame with reserved flag bits set (0x{:02x})", flags);
        return Status::kError;
      }
      if ((flags & kCommand) && (flags & kMore)) {
        error_ = "a command frame marked as followed by more frames";
        return Status::kError;
      }
    }
    const std::size_t header_size = (flags & kLong) ? 9 : 2;
    if (header_size_ < header_size) continue;
    body_size_ = ReadBigEndian(header_ + 1, static_cast<int>(header_size - 1));
    const bool command = flags & kCommand;
    const std::uint64_t limit = command ? kMaxCommandSize : max_body;
    if (body_size_ > limit) {
      error_ = fmt::format("a {} of {} bytes (at most {} are accepted)",
                           command ? "command" : "message frame", body_size_, limit);
      return Status::kError;
    }
    frame_.command = command;
    frame_.more = flags & kMore;
    frame_.body.clear();
    // At most 16 MiB reserved up front, larger frames grow as they arrive; the system backs a
    // reservation only as bytes are written to it, so a peer that announces a frame and sends
    // nothing costs address space, not memory.
    frame_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(body_size_, 1 << 24)));
    in_body_ = true;
    return Status::kFrame;
  }
}

void FrameDecoder::Reset() {
  header_size_ = 0;
  in_body_ = false;
  body_size_ = 0;
  frame_ = Frame{};
  error_.clear();
}

std::string Printable(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (unsigned char c : text.substr(0, kMax)) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace codeexec::jupyter::zmtp
