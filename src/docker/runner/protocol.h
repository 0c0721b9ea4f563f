// The wire protocol between the Docker executor and codeexec-runner, the process it runs as a
// container's main process (see runner_main.cc and runner_channel.h).
//
// Both directions carry frames: a type byte, the payload's size (32-bit big-endian) and the
// payload. The host writes requests to the container's stdin (kRun, kKill, kQuit); the runner
// answers on its stdout (kHello once it is ready; kStdout / kStderr as a block prints; then
// kExit, or kFailed when the block could not start). One block runs at a time. Integers are
// 32-bit big-endian; strings are a size and their bytes.
//
// Header-only and free of dependencies beyond the standard library, because the runner is a
// small statically linked program.
#ifndef CODEEXEC_SRC_DOCKER_RUNNER_PROTOCOL_H_
#define CODEEXEC_SRC_DOCKER_RUNNER_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codeexec::docker::runner {

// Bumped when the frames change; kHello carries it. 2: RunRequest's standard input.
inline constexpr uint32_t kProtocolVersion = 2;

enum class FrameType : char {
  // Host to runner.
  kRun = 'r',   // RunRequest: start a block
  kKill = 'k',  // kill the running block and everything it started
  kQuit = 'q',  // kill everything and exit (as end-of-file on stdin does)
  // Runner to host.
  kHello = 'h',   // u32 protocol version: ready for requests
  kStdout = 'o',  // bytes the block wrote to stdout
  kStderr = 'e',  // ... to stderr
  kExit = 'x',    // ExitReport: the block ended and everything it left running was killed
  kFailed = 'f',  // u32 errno, then a message: the block could not start
};

inline constexpr std::size_t kFrameHeaderSize = 5;
// Bounds what a broken peer can make the other side buffer.
inline constexpr uint32_t kMaxFramePayload = 16u << 20;

inline void PutU32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

inline void PutString(std::string& out, std::string_view text) {
  PutU32(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

inline uint32_t GetU32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

inline void AppendFrame(std::string& out, FrameType type, std::string_view payload) {
  out += static_cast<char>(type);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
}

// Reads a payload's fields in order; every getter returns false once the payload runs short.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload) : rest_(payload) {}

  bool U32(uint32_t& value) {
    if (rest_.size() < 4) return false;
    value = GetU32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }
  bool String(std::string& text) {
    uint32_t size = 0;
    if (!U32(size) || rest_.size() < size) return false;
    text.assign(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return true;
  }
  bool Strings(std::vector<std::string>& texts) {
    uint32_t count = 0;
    if (!U32(count) || count > rest_.size() / 4) return false;
    texts.resize(count);
    for (std::string& text : texts) {
      if (!String(text)) return false;
    }
    return true;
  }

 private:
  std::string_view rest_;
};

// Splits a byte stream into frames, whatever the reads' boundaries.
class FrameDecoder {
 public:
  // Calls `on_frame(FrameType, std::string_view payload)` for every complete frame in `bytes`
  // and what came before. False when the stream is malformed (a frame over kMaxFramePayload).
  template <typename OnFrame>
  bool Feed(std::string_view bytes, OnFrame&& on_frame) {
    buffer_.append(bytes);
    std::size_t at = 0;
    while (buffer_.size() - at >= kFrameHeaderSize) {
      uint32_t size = GetU32(buffer_.data() + at + 1);
      if (size > kMaxFramePayload) return false;
      if (buffer_.size() - at - kFrameHeaderSize < size) break;
      on_frame(static_cast<FrameType>(buffer_[at]),
               std::string_view(buffer_).substr(at + kFrameHeaderSize, size));
      at += kFrameHeaderSize + size;
    }
    buffer_.erase(0, at);
    return true;
  }
  bool Empty() const { return buffer_.empty(); }

 private:
  std::string buffer_;
};

// Starts a block: argv[0] is looked up on PATH (the block's, else the container's) unless it
// holds a slash; `env` (NAME=VALUE) goes on top of the container's environment. The block reads
// `standard_input` on its stdin when given (then end of file), else /dev/null.
struct RunRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<std::string> standard_input{};

  std::string Encode() const {
    std::string out;
    PutU32(out, static_cast<uint32_t>(argv.size()));
    for (const auto& arg : argv) PutString(out, arg);
    PutU32(out, static_cast<uint32_t>(env.size()));
    for (const auto& entry : env) PutString(out, entry);
    PutString(out, cwd);
    PutU32(out, standard_input ? 1u : 0u);
    if (standard_input) PutString(out, *standard_input);
    return out;
  }
  bool Decode(std::string_view payload) {
    PayloadReader reader(payload);
    uint32_t has_input = 0;
    if (!reader.Strings(argv) || !reader.Strings(env) || !reader.String(cwd) || argv.empty() ||
        !reader.U32(has_input)) {
      return false;
    }
    if (has_input == 0) return true;
    standard_input.emplace();
    return reader.String(*standard_input);
  }
};

// How a block ended.
struct ExitReport {
  uint32_t exit_code = 0;   // the exit status, or 128 + the signal that killed the block
  bool oom_known = false;   // the container's OOM-kill counter could be read
  bool oom_killed = false;  // the kernel's OOM killer acted in the container during the block

  std::string Encode() const {
    std::string out;
    PutU32(out, exit_code);
    PutU32(out, (oom_known ? 1u : 0u) | (oom_killed ? 2u : 0u));
    return out;
  }
  bool Decode(std::string_view payload) {
    PayloadReader reader(payload);
    uint32_t flags = 0;
    if (!reader.U32(exit_code) || !reader.U32(flags)) return false;
    oom_known = (flags & 1u) != 0;
    oom_killed = (flags & 2u) != 0;
    return true;
  }
};

}  // namespace codeexec::docker::runner

#endif  // CODEEXEC_SRC_DOCKER_RUNNER_PROTOCOL_H_
