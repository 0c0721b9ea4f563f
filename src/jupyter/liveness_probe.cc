#include "jupyter/liveness_probe.h"

#include <algorithm>

namespace codeexec::jupyter {

using std::chrono::milliseconds;

void LivenessProbe::Arm(Clock::time_point now) {
  armed_ = true;
  last_observed_ = now;
  quiet_since_ = now;
  unanswered_ = 0;
}

void LivenessProbe::Heard(Clock::time_point now) {
  quiet_since_ = now;
  unanswered_ = 0;
}

void LivenessProbe::Observe(Clock::time_point now) {
  // The owner wakes up at least every `interval` while it waits; a longer gap is a pause.
  const milliseconds pause = std::max(2 * options_.interval, milliseconds(500));
  if (now - last_observed_ > pause) {
    quiet_since_ = now;
    unanswered_ = 0;
  }
  last_observed_ = now;
}

bool LivenessProbe::ProbeDue(Clock::time_point now) {
  if (!active()) return false;
  Observe(now);
  // Cells shorter than `interval` (most) and cells that print cost no probe at all.
  Clock::time_point due = (unanswered_ > 0 ? last_probe_ : quiet_since_) + options_.interval;
  if (now < due) return false;
  last_probe_ = now;
  ++unanswered_;
  return true;
}

bool LivenessProbe::Silent(Clock::time_point now) {
  if (!active()) return false;
  Observe(now);
  return unanswered_ >= 2 && now - quiet_since_ >= options_.timeout;
}

milliseconds LivenessProbe::UntilNext(Clock::time_point now) const {
  if (!active()) return std::chrono::hours(24);
  Clock::time_point next = (unanswered_ > 0 ? last_probe_ : quiet_since_) + options_.interval;
  if (unanswered_ > 0) next = std::min(next, quiet_since_ + options_.timeout);
  // Rounded up, so that the owner wakes up after the moment rather than just before it.
  return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(next - now));
}

}  // namespace codeexec::jupyter
