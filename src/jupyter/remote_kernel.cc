#include "jupyter/remote_kernel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "core/ascii.h"
#include "jupyter/readiness.h"
#include "jupyter/ws_framing.h"

namespace codeexec::jupyter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The server's own name for `wanted` (names compare case-insensitively), or an error listing
// what it has.
Result<std::string> ServerKernelName(const json& specs, std::string_view wanted,
                                     const std::string& origin) {
  std::vector<std::string> names;
  for (const auto& [name, spec] : specs.items()) {
    if (AsciiLower(name) == AsciiLower(wanted)) return name;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("Kernel {} is not installed. Installed kernels on the Jupyter "
                               "Server at {}: {}.",
                               wanted, origin,
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

// DELETE /api/kernels/ID. A server that is restarting a dead kernel refuses to delete it until
// the restart is over (jupyter-server 1.23 answers 500), so the deletion is retried for a while
// rather than leaving the kernel running on the server.
void DeleteKernel(const ServerClient& client, const std::string& id) {
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
  while (true) {
    auto deleted = client.DeleteKernel(id);
    if (deleted || deleted.error().code() == ErrorCode::kPermissionDenied ||
        Clock::now() >= deadline) {
      return;
    }
    std::this_thread::sleep_for(milliseconds(250));
  }
}

}  // namespace

RemoteKernel::RemoteKernel(const RemoteKernelOptions& options)
    : options_(options), client_(options.server), probe_(options.liveness) {}

Result<std::unique_ptr<RemoteKernel>> RemoteKernel::Start(const RemoteKernelOptions& options) {
  std::unique_ptr<RemoteKernel> kernel(new RemoteKernel(options));
  if (auto opened = kernel->Open(); !opened) return tl::unexpected(opened.error());
  const Clock::time_point deadline = Clock::now() + options.startup_timeout;
  if (auto ready = kernel->WaitForReady(options.startup_timeout); !ready) {
    return tl::unexpected(ready.error());
  }
  kernel->ArmLiveness(deadline);
  return kernel;
}

Result<void> RemoteKernel::Open() {
  auto specs = client_.KernelSpecs();
  if (!specs) return tl::unexpected(specs.error());
  auto name = ServerKernelName(*specs, options_.kernel_name, client_.Origin());
  if (!name) return tl::unexpected(name.error());
  const json& spec = (*specs)[*name];
  if (spec.contains("spec") && spec["spec"].is_object()) {
    language_ = Message::StringField(spec["spec"], "language");
    const json& metadata = spec["spec"].value("metadata", json::object());
    debugger_ = metadata.is_object() && metadata.value("debugger", json(false)) == json(true);
  }
  auto id = client_.CreateKernel(*name);
  if (!id) return tl::unexpected(id.error());
  kernel_id_ = *id;
  WebSocketTarget target;
  target.host = options_.server.host;
  target.port = std::to_string(options_.server.port);
  target.tls = options_.server.https;
  target.ca_file = options_.server.ca_file;
  target.target = fmt::format("/api/kernels/{}/channels?session_id={}", kernel_id_, session_.id());
  if (!options_.server.token.empty()) {
    target.headers.emplace_back("Authorization", "token " + options_.server.token);
  }
  if (options_.offer_v1) target.subprotocols.emplace_back(kV1Subprotocol);
  auto socket = KernelWebSocket::Connect(target, options_.startup_timeout);
  if (!socket) {
    Shutdown();
    return tl::unexpected(WithCertificateAdvice(socket.error()));
  }
  socket_ = std::move(*socket);
  return {};
}

Result<void> RemoteKernel::WaitForReady(milliseconds timeout) {
  auto info = jupyter::WaitForReady(*this, Clock::now() + timeout);
  if (info) return {};
  std::string origin = client_.Origin();
  Shutdown();
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("the {} kernel on the Jupyter Server at {} {}", options_.kernel_name,
                               origin, info.error().message()));
}

void RemoteKernel::ArmLiveness(Clock::time_point deadline) {
  if (!debugger_ || options_.liveness.timeout <= milliseconds(0)) return;
  Message probe = session_.MakeRequest("kernel_info_request");
  if (!Send(Channel::kControl, probe)) return;
  // An idle kernel answers in milliseconds; one that does not answer is left to the server.
  deadline = std::min(deadline, Clock::now() + std::chrono::seconds(5));
  while (Clock::now() < deadline && !IsDead()) {
    while (auto incoming = TryReceive()) {
      if (incoming->channel == Channel::kControl &&
          incoming->message.parent_id() == probe.msg_id()) {
        probe_.Arm(Clock::now());
        return;
      }
    }
    Wait(milliseconds(50), {});
  }
}

const std::string& RemoteKernel::subprotocol() const {
  static const std::string kNone;
  return socket_ ? socket_->subprotocol() : kNone;
}

Result<void> RemoteKernel::Send(Channel channel, const Message& message) {
  if (!socket_ || socket_->closed()) {
    return MakeError(ErrorCode::kUnavailable, "the connection to the Jupyter Server is closed");
  }
  if (socket_->subprotocol() == kV1Subprotocol) {
    socket_->Send(EncodeV1Frame(channel, message), /*binary=*/true);
  } else {
    socket_->Send(EncodeLegacyFrame(channel, message), /*binary=*/false);
  }
  return {};
}

std::optional<Incoming> RemoteKernel::TryReceive() {
  if (!socket_) return std::nullopt;
  while (auto frame = socket_->TryReceive()) {
    auto incoming = socket_->subprotocol() == kV1Subprotocol
                        ? DecodeV1Frame(frame->data)
                        : DecodeLegacyFrame(frame->data, frame->binary);
    if (!incoming) {
      ++dropped_;
      continue;
    }
    probe_.Heard(Clock::now());
    const Message& message = incoming->message;
    if (incoming->channel == Channel::kIopub && message.msg_type() == "status" && death_.empty()) {
      std::string_view state = Message::StringField(message.content, "execution_state");
      if (state == "dead") death_ = "the Jupyter Server reports it dead";
      if (state == "restarting") death_ = "the Jupyter Server found it dead and is restarting it";
    }
    return std::move(*incoming);
  }
  return std::nullopt;
}

uint32_t RemoteKernel::Wait(milliseconds timeout, std::span<const int> fds) {
  const Clock::time_point now = Clock::now();
  if (probe_.ProbeDue(now)) {
    [[maybe_unused]] auto sent =
        Send(Channel::kControl, session_.MakeRequest("kernel_info_request"));
  }
  timeout = std::min(timeout, probe_.UntilNext(now));
  std::vector<pollfd> items;
  for (int fd : fds) items.push_back({fd, POLLIN, 0});
  if (socket_) items.push_back({socket_->wait_fd(), POLLIN, 0});
  int rc =
      poll(items.data(), items.size(), static_cast<int>(std::max<int64_t>(0, timeout.count())));
  uint32_t ready = 0;
  for (std::size_t i = 0; rc > 0 && i < fds.size() && i < 32; ++i) {
    if (items[i].revents & (POLLIN | POLLERR | POLLHUP)) ready |= 1u << i;
  }
  return ready;
}

bool RemoteKernel::IsDead() {
  if (death_.empty() && probe_.Silent(Clock::now())) {
    death_ = fmt::format(
        "it stopped answering: nothing came from it for {:g} s, not even on its control "
        "channel. A cell that holds Python's GIL in C code that long looks the same; if that "
        "was it, raise the server's liveness_timeout",
        std::chrono::duration<double>(options_.liveness.timeout).count());
  }
  return !death_.empty() || !socket_ || socket_->closed();
}

std::string RemoteKernel::DeathDescription() {
  if (!death_.empty()) return death_;
  if (!socket_) return "it was shut down";
  return fmt::format("the connection to the Jupyter Server closed: {}", socket_->close_reason());
}

Result<void> RemoteKernel::Interrupt() {
  if (kernel_id_.empty()) return MakeError(ErrorCode::kFailedPrecondition, "no kernel");
  return client_.InterruptKernel(kernel_id_);
}

void RemoteKernel::RequestShutdown() {
  socket_.reset();
  if (kernel_id_.empty() || deleting_.joinable()) return;
  deleting_ = std::thread([client = client_, id = kernel_id_] { DeleteKernel(client, id); });
  kernel_id_.clear();
}

void RemoteKernel::Shutdown() {
  socket_.reset();
  if (deleting_.joinable()) deleting_.join();
  if (kernel_id_.empty()) return;
  DeleteKernel(client_, kernel_id_);
  kernel_id_.clear();
}

RemoteKernel::~RemoteKernel() { Shutdown(); }

}  // namespace codeexec::jupyter
