// Kernel: what running a cell needs from a kernel, whatever the transport (a local kernel over
// ZeroMQ, or later one behind a Jupyter Server's WebSocket). The seam between executing cells and
// managing kernels; implementations document their own threading (none is thread-safe).
#ifndef CODEEXEC_SRC_JUPYTER_KERNEL_H_
#define CODEEXEC_SRC_JUPYTER_KERNEL_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "codeexec/error.h"
#include "jupyter/kernel_channels.h"
#include "jupyter/message.h"

namespace codeexec::jupyter {

class Kernel {
 public:
  virtual ~Kernel() = default;

  virtual const Session& session() const = 0;
  virtual Result<void> Send(Channel channel, const Message& message) = 0;
  // The next message already received, without blocking.
  virtual std::optional<Incoming> TryReceive() = 0;
  // Blocks until a message may be waiting, the kernel's state changes (it dies), one of `fds`
  // is readable, or `timeout` passes; returns the readable `fds` as a bit mask.
  virtual uint32_t Wait(std::chrono::milliseconds timeout, std::span<const int> fds) = 0;
  // Whether the kernel can no longer run code (its process exited, its heartbeat is lost).
  virtual bool IsDead() = 0;
  // Why, once IsDead(): "exit code 1", "killed by signal 9 (Killed)", "heartbeat lost".
  virtual std::string DeathDescription() = 0;
  // Asks the kernel to stop what it is running (KeyboardInterrupt in Python).
  virtual Result<void> Interrupt() = 0;

  // For a restart, where the kernel's state is being thrown away: RequestShutdown() starts its
  // end without waiting (a local kernel is killed, a remote one deleted on a thread), so that it
  // goes while its successor starts; Terminate() then ends whatever is left of it at once.
  // Destroying a kernel shuts it down gracefully.
  virtual void RequestShutdown() = 0;
  virtual void Terminate() = 0;
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_KERNEL_H_
