// RemoteKernel: a kernel that a Jupyter Server runs, reached through its REST API and its
// kernel channels WebSocket.
//
// Start() checks the token and the kernel name against GET /api/kernelspecs, creates the kernel
// (POST /api/kernels), opens ws[s]://HOST:PORT/api/kernels/ID/channels offering the
// v1.kernel.websocket.jupyter.org subprotocol (falling back to the legacy JSON frames when the
// server does not choose it), then repeats kernel_info_request until a reply and iopub traffic
// arrive. The server signs towards the kernel: no key is needed here.
//
// The kernel is dead once the WebSocket closes, the server reports it "dead" or "restarting" (the
// server restarts kernels that die; their state is gone all the same), or it stops answering
// the liveness probes. The server notices a dead kernel process only within its own poll
// interval (3 s for jupyter-server), so while someone waits on the kernel a kernel_info_request
// goes to its control channel whenever it has been quiet for a while (see LivenessProbe), and
// `liveness.timeout` of silence counts as death. Only kernels that serve control while a cell
// runs can be probed: those whose kernelspec declares debugger support (the debugger protocol
// needs it; ipykernel >= 6) and that answer a first probe at startup. Others are left to the
// server. Interrupts go through POST /api/kernels/ID/interrupt. The destructor closes the
// WebSocket and deletes the kernel (DELETE /api/kernels/ID). Not thread-safe (the deletion that
// RequestShutdown() starts runs on an internal thread, joined by Terminate()).
#ifndef CODEEXEC_SRC_JUPYTER_REMOTE_KERNEL_H_
#define CODEEXEC_SRC_JUPYTER_REMOTE_KERNEL_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "codeexec/error.h"
#include "jupyter/kernel.h"
#include "jupyter/kernel_websocket.h"
#include "jupyter/liveness_probe.h"
#include "jupyter/server_client.h"

namespace codeexec::jupyter {

struct RemoteKernelOptions {
  ServerInfo server;
  std::string kernel_name = "python3";
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(60)};
  // Offer the v1 binary subprotocol; false forces the legacy JSON frames.
  bool offer_v1 = true;
  LivenessOptions liveness;
};

class RemoteKernel final : public Kernel {
 public:
  // Errors: kPermissionDenied for a refused token, kNotFound for "Kernel NAME is not installed."
  // (on that server), kUnavailable when the server cannot be reached or the kernel does not
  // answer.
  static Result<std::unique_ptr<RemoteKernel>> Start(const RemoteKernelOptions& options);
  ~RemoteKernel() override;
  RemoteKernel(const RemoteKernel&) = delete;
  RemoteKernel& operator=(const RemoteKernel&) = delete;

  const Session& session() const override { return session_; }
  Result<void> Send(Channel channel, const Message& message) override;
  std::optional<Incoming> TryReceive() override;
  uint32_t Wait(std::chrono::milliseconds timeout, std::span<const int> fds) override;
  bool IsDead() override;
  std::string DeathDescription() override;
  Result<void> Interrupt() override;
  // Closes the WebSocket and starts deleting the kernel on the server, on a thread of its own,
  // so that a restart's new kernel starts meanwhile.
  void RequestShutdown() override;
  // Waits for that deletion (the server shuts a kernel that ignores the request down within its
  // own shutdown_wait_time, 5 s for jupyter-server); Shutdown() if none was requested.
  void Terminate() override { Shutdown(); }

  const std::string& kernel_id() const { return kernel_id_; }
  // The kernelspec's language on the server ("python").
  const std::string& language() const { return language_; }
  // "v1.kernel.websocket.jupyter.org", or "" for the legacy JSON frames.
  const std::string& subprotocol() const;
  // Frames that could not be decoded, dropped.
  uint64_t dropped_messages() const { return dropped_; }
  // Whether the liveness probe runs for this kernel (see above).
  bool probed() const { return probe_.armed(); }

  // Closes the WebSocket and deletes the kernel on the server (or waits for the deletion that
  // RequestShutdown() started). Idempotent.
  void Shutdown();

 private:
  explicit RemoteKernel(const RemoteKernelOptions& options);
  Result<void> Open();
  Result<void> WaitForReady(std::chrono::milliseconds timeout);
  // Arms the liveness probe if the kernel can be probed.
  void ArmLiveness(std::chrono::steady_clock::time_point deadline);

  RemoteKernelOptions options_;
  ServerClient client_;
  Session session_;
  std::string kernel_id_;
  std::string language_;
  std::unique_ptr<KernelWebSocket> socket_;
  bool debugger_ = false;  // the server's kernelspec declares debugger support
  LivenessProbe probe_;
  std::string death_;
  uint64_t dropped_ = 0;
  std::thread deleting_;  // RequestShutdown()'s deletion
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_REMOTE_KERNEL_H_
