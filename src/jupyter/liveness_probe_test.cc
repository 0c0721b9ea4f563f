#include "jupyter/liveness_probe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace codeexec::jupyter {
namespace {

using std::chrono::milliseconds;
using TimePoint = LivenessProbe::Clock::time_point;

// Drives a probe the way RemoteKernel does while a cell runs: wake up when UntilNext() says,
// send the probes that are due, ask whether the kernel is silent. Returns the time of the
// verdict, or nullopt if none came before `until`.
std::optional<TimePoint> WaitForVerdict(LivenessProbe& probe, TimePoint now, TimePoint until,
                                        int* probes = nullptr) {
  while (now < until) {
    if (probe.ProbeDue(now) && probes != nullptr) ++*probes;
    if (probe.Silent(now)) return now;
    now += std::max(milliseconds(1), std::min(probe.UntilNext(now), milliseconds(100)));
  }
  return std::nullopt;
}

TEST(LivenessProbeTest, NothingHappensUntilArmed) {
  LivenessProbe probe;
  TimePoint t0{};
  EXPECT_FALSE(probe.ProbeDue(t0 + milliseconds(5000)));
  EXPECT_FALSE(probe.Silent(t0 + milliseconds(10000)));
}

TEST(LivenessProbeTest, ProbingOffWithZeroTimeout) {
  LivenessProbe probe({.timeout = milliseconds(0)});
  TimePoint t0{};
  probe.Arm(t0);
  EXPECT_FALSE(WaitForVerdict(probe, t0, t0 + milliseconds(10000)).has_value());
}

TEST(LivenessProbeTest, SilentKernelIsReportedAfterTheTimeout) {
  LivenessProbe probe;  // 1 s, probes every 250 ms
  TimePoint t0{};
  probe.Arm(t0);
  probe.Heard(t0 + milliseconds(50));  // the cell's busy status, then nothing
  int probes = 0;
  auto verdict = WaitForVerdict(probe, t0 + milliseconds(60), t0 + milliseconds(5000), &probes);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_GE(*verdict - (t0 + milliseconds(50)), milliseconds(1000));
  EXPECT_LE(*verdict - (t0 + milliseconds(50)), milliseconds(1100));
  EXPECT_GE(probes, 3);
}

TEST(LivenessProbeTest, AnsweredProbesKeepTheKernelAlive) {
  LivenessProbe probe;
  TimePoint now{};
  probe.Arm(now);
  for (int i = 0; i < 100; ++i) {  // a 10 s cell whose control thread answers within 100 ms
    if (probe.ProbeDue(now)) probe.Heard(now + milliseconds(100));
    EXPECT_FALSE(probe.Silent(now));
    now += milliseconds(100);
  }
}

TEST(LivenessProbeTest, NoProbesWhileOutputFlows) {
  LivenessProbe probe;
  TimePoint now{};
  probe.Arm(now);
  for (int i = 0; i < 50; ++i) {
    probe.Heard(now);
    EXPECT_FALSE(probe.ProbeDue(now + milliseconds(100)));
    now += milliseconds(100);
  }
}

TEST(LivenessProbeTest, OneUnansweredProbeIsNotEnough) {
  LivenessProbe probe({.timeout = milliseconds(1000), .interval = milliseconds(800)});
  TimePoint t0{};
  probe.Arm(t0);
  int probes = 0;
  for (TimePoint now = t0; now < t0 + milliseconds(1600); now += milliseconds(100)) {
    probes += probe.ProbeDue(now);
    EXPECT_FALSE(probe.Silent(now));  // 1 s of silence, but a single probe unanswered
  }
  EXPECT_EQ(probes, 1);
  EXPECT_TRUE(probe.ProbeDue(t0 + milliseconds(1600)));
  EXPECT_TRUE(probe.Silent(t0 + milliseconds(1600)));
}

TEST(LivenessProbeTest, SilenceBeforeAPauseDoesNotCount) {
  LivenessProbe probe;
  TimePoint t0{};
  probe.Arm(t0);
  EXPECT_FALSE(WaitForVerdict(probe, t0, t0 + milliseconds(700)).has_value());
  // The owner stops waiting (the cell ended) for a minute, then waits again.
  TimePoint later = t0 + milliseconds(60000);
  EXPECT_FALSE(probe.Silent(later));
  EXPECT_FALSE(probe.ProbeDue(later + milliseconds(100)));
  auto verdict = WaitForVerdict(probe, later + milliseconds(100), later + milliseconds(5000));
  ASSERT_TRUE(verdict.has_value());
  EXPECT_GE(*verdict - later, milliseconds(1000));
}

TEST(LivenessProbeTest, UntilNextWakesTheOwnerForTheNextStep) {
  LivenessProbe probe;
  TimePoint t0{};
  probe.Arm(t0);
  probe.Heard(t0);
  EXPECT_EQ(probe.UntilNext(t0 + milliseconds(100)), milliseconds(150));
  ASSERT_TRUE(probe.ProbeDue(t0 + milliseconds(250)));
  EXPECT_EQ(probe.UntilNext(t0 + milliseconds(250)), milliseconds(250));
}

}  // namespace
}  // namespace codeexec::jupyter
