// StepTimes: when each setup step of a sandboxed run ends, for the benchmark that breaks a
// run's cost down (bench/sandbox_bench.cc). Production runs have none: a SandboxRunner records
// only when one is injected (SandboxRunner::SetStepTimes).
//
// The times live in a shared memory file, because the steps are taken by the setup child and by
// the sandbox's init program (which maps the file it receives as kInitStepTimesFd), then by the
// runner itself. Meaningful with one run at a time.
#ifndef CODEEXEC_SRC_SANDBOX_STEP_TIMES_H_
#define CODEEXEC_SRC_SANDBOX_STEP_TIMES_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

class StepTimes {
 public:
  // The runner's own events, recorded after the child's steps.
  enum Event { kRunStart, kCloned, kExecSeen, kExited, kEventCount };

  static Result<StepTimes> Create();
  StepTimes(StepTimes&& other) noexcept;
  StepTimes& operator=(StepTimes&&) = delete;
  ~StepTimes();

  // For the child's configuration: the memory file and its mapping (one int64 of
  // nanoseconds per ChildStep, then one per Event).
  int fd() const { return file_.get(); }
  int64_t* child_step_ends() { return ends_; }

  // Forgets the last run, then marks its start.
  void Start();
  void Mark(Event event);

  // The last run's steps in the order they ended, each with its cost (the time since the one
  // before; the first since the run started).
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> Last() const;

 private:
  StepTimes(UniqueFd file, int64_t* ends) : file_(std::move(file)), ends_(ends) {}

  UniqueFd file_;
  int64_t* ends_ = nullptr;  // mapped: every step's end, in nanoseconds of the steady clock
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_STEP_TIMES_H_
