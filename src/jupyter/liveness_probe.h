// LivenessProbe: when to ask a kernel behind a Jupyter Server whether it is still there, and when
// its silence means that it died.
//
// Through a Jupyter Server there is no process to watch and no heartbeat channel; the server
// notices a dead kernel only when it polls its process (every 3 s for jupyter-server). Kernels
// that support the debugger (ipykernel >= 6, xeus) serve the control channel on a thread of their
// own, so they answer a kernel_info_request on control even while a cell runs. The owner sends
// one whenever ProbeDue() says so while it waits on the kernel, and reports through Heard()
// everything that arrives from the kernel. Silent() turns true once nothing at all has been
// heard for `timeout` although probes went out (at least two: one unanswered probe is not
// enough).
//
// A kernel whose cell runs C code that holds Python's GIL (sorting tens of millions of items, a
// regular expression over a huge text) cannot answer either: for longer than `timeout` it is
// indistinguishable from a dead one. `timeout` is that trade-off; 0 turns probing off.
//
// The first probe goes out once the kernel has been quiet for `interval`, so cells that are
// shorter or that print cost nothing. Probes go out only while the owner waits: after a pause in
// its waiting (between cells) the silence is counted afresh, so what was left unanswered before
// the pause never counts. Pure logic over the time points it is given; not thread-safe.
#ifndef CODEEXEC_SRC_JUPYTER_LIVENESS_PROBE_H_
#define CODEEXEC_SRC_JUPYTER_LIVENESS_PROBE_H_

#include <chrono>

namespace codeexec::jupyter {

struct LivenessOptions {
  // Silence that counts as death. 0: never probe.
  std::chrono::milliseconds timeout{1000};
  // Between probes, and from the last message heard to the first probe.
  std::chrono::milliseconds interval{250};
};

class LivenessProbe {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LivenessProbe(LivenessOptions options = {}) : options_(options) {}

  // From now on probes go out and silence counts; call it once the kernel has shown that it
  // answers on control. Until then ProbeDue() and Silent() stay false.
  void Arm(Clock::time_point now);
  bool armed() const { return armed_; }
  const LivenessOptions& options() const { return options_; }

  // Something arrived from the kernel: it is alive.
  void Heard(Clock::time_point now);
  // True when a probe should be sent now; counts it as sent.
  bool ProbeDue(Clock::time_point now);
  // True once the kernel has been silent for `timeout` while being probed.
  bool Silent(Clock::time_point now);
  // How long the owner may wait before ProbeDue() or Silent() can change.
  std::chrono::milliseconds UntilNext(Clock::time_point now) const;

 private:
  bool active() const { return armed_ && options_.timeout.count() > 0; }
  // Starts counting afresh after a pause in the owner's waiting.
  void Observe(Clock::time_point now);

  LivenessOptions options_;
  bool armed_ = false;
  Clock::time_point last_observed_{};
  Clock::time_point quiet_since_{};  // last heard, or the end of the last pause
  Clock::time_point last_probe_{};
  int unanswered_ = 0;  // probes since quiet_since_
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_LIVENESS_PROBE_H_
