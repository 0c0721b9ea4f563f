#include "mcp/stdio_transport.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "codeexec/log.h"

namespace codeexec::mcp {
namespace {

using nlohmann::json;

// Writes whole lines to the output, one writer at a time; remembers when the reader is gone.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}

  void Write(const json& message) {
    std::string line = Serialize(message);
    line += '\n';
    std::lock_guard lock(mutex_);
    if (broken_) return;
    std::size_t done = 0;
    while (done < line.size()) {
      ssize_t n = write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Log(LogLevel::kWarning, fmt::format("MCP output closed ({}): ending the session",
                                            n < 0 ? std::strerror(errno) : "no progress"));
        broken_ = true;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  bool broken() const {
    std::lock_guard lock(mutex_);
    return broken_;
  }

 private:
  const int fd_;
  mutable std::mutex mutex_;
  bool broken_ = false;
};

class StdioOutbox : public Outbox {
 public:
  explicit StdioOutbox(std::shared_ptr<LineWriter> writer) : writer_(std::move(writer)) {}
  void Notify(const json& notification) override { writer_->Write(notification); }
  void Respond(const json& response) override { writer_->Write(response); }
  void Drop() override {}

 private:
  std::shared_ptr<LineWriter> writer_;
};

// Splits the input into lines, skipping (and reporting) lines over the size limit.
class LineReader {
 public:
  explicit LineReader(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds input; calls `line` for each complete line and `too_long` once per oversized one.
  template <typename OnLine, typename OnTooLong>
  void Add(std::string_view data, OnLine&& line, OnTooLong&& too_long) {
    while (!data.empty()) {
      std::size_t newline = data.find('\n');
      std::string_view piece = data.substr(0, newline);
      if (!skipping_) {
        if (buffer_.size() + piece.size() > max_bytes_) {
          too_long(buffer_.size() + piece.size());
          buffer_.clear();
          buffer_.shrink_to_fit();
          skipping_ = true;
        } else {
          buffer_.append(piece);
        }
      }
      if (newline == std::string_view::npos) return;
      if (!skipping_) {
        if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
        if (!buffer_.empty()) line(buffer_);
        buffer_.clear();
      }
      skipping_ = false;
      data.remove_prefix(newline + 1);
    }
  }

 private:
  const std::size_t max_bytes_;
  std::string buffer_;
  bool skipping_ = false;
};

}  // namespace

Result<void> ServeStdio(const McpContext& context, int in_fd, int out_fd,
                        const CancellationToken& stop, const StdioOptions& options) {
  auto writer = std::make_shared<LineWriter>(out_fd);
  auto outbox = std::make_shared<StdioOutbox>(writer);
  auto session = std::make_shared<McpSession>(context);
  LineReader reader(options.max_message_bytes);
  auto on_line = [&](const std::string& line) {
    auto message = ParseMessage(line);
    if (!message) return writer->Write(ErrorResponse(message.error().id, message.error().error));
    session->Handle(std::move(*message), outbox);
  };
  auto on_too_long = [&](std::size_t size) {
    writer->Write(ErrorResponse(
        nullptr, {kInvalidRequest, fmt::format("Invalid Request: a message of more than {} bytes "
                                               "(got at least {}); it was skipped",
                                               options.max_message_bytes, size)}));
  };
  Result<void> outcome = {};
  std::string chunk(64 * 1024, '\0');
  pollfd fds[2] = {{in_fd, POLLIN, 0}, {stop.wait_fd(), POLLIN, 0}};
  while (!stop.IsCancelled() && !writer->broken()) {
    int ready = poll(fds, fds[1].fd >= 0 ? 2 : 1, 1000);
    if (ready < 0 && errno != EINTR) {
      outcome = ErrnoError("poll on the MCP input", errno);
      break;
    }
    if (ready <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = read(in_fd, chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      outcome = ErrnoError("reading the MCP input", errno);
      break;
    }
    if (n == 0) break;  // the host closed our input: the session is over
    reader.Add(std::string_view(chunk.data(), static_cast<std::size_t>(n)), on_line, on_too_long);
  }
  session->Close();
  return outcome;
}

}  // namespace codeexec::mcp
