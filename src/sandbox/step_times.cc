#include "sandbox/step_times.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sandbox/child_protocol.h"
#include "sandbox/sandbox_child.h"

namespace codeexec {
namespace {

constexpr int kCount = kChildStepCount + StepTimes::kEventCount;
constexpr std::size_t kBytes = kCount * sizeof(int64_t);
constexpr const char* kEventNames[] = {"start", "clone3 on the slot's thread",
                                       "exec seen by the runner",
                                       "PID 1 exited: namespaces torn down"};
static_assert(std::size(kEventNames) == StepTimes::kEventCount);

}  // namespace

Result<StepTimes> StepTimes::Create() {
  // A memory file: the init program maps it too (the setup child shares this memory anyway).
  UniqueFd file(memfd_create("codeexec-step-times", MFD_CLOEXEC));
  if (!file.valid() || ftruncate(file.get(), kBytes) < 0) {
    return ErrnoError("cannot create the step times", errno);
  }
  void* shared = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, file.get(), 0);
  if (shared == MAP_FAILED) return ErrnoError("cannot map the step times", errno);
  return StepTimes(std::move(file), static_cast<int64_t*>(shared));
}

StepTimes::StepTimes(StepTimes&& other) noexcept
    : file_(std::move(other.file_)), ends_(std::exchange(other.ends_, nullptr)) {}

StepTimes::~StepTimes() {
  if (ends_ != nullptr) munmap(ends_, kBytes);
}

void StepTimes::Start() {
  std::fill(ends_, ends_ + kCount, 0);
  Mark(kRunStart);
}

void StepTimes::Mark(Event event) {
  ends_[kChildStepCount + event] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count();
}

std::vector<std::pair<std::string, std::chrono::nanoseconds>> StepTimes::Last() const {
  std::vector<std::pair<int64_t, std::string>> ends;
  for (int i = 0; i < kCount; ++i) {
    if (ends_[i] == 0) continue;
    ends.emplace_back(ends_[i], i < kChildStepCount ? ChildStepName(static_cast<ChildStep>(i))
                                                    : kEventNames[i - kChildStepCount]);
  }
  std::sort(ends.begin(), ends.end());
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> steps;
  for (std::size_t i = 1; i < ends.size(); ++i) {
    steps.emplace_back(ends[i].second, std::chrono::nanoseconds(ends[i].first - ends[i - 1].first));
  }
  return steps;
}

}  // namespace codeexec
