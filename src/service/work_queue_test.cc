#include "service/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace codeexec::service {
namespace {

TEST(WorkQueueTest, RefusesPastTheQueueAndSaysWhenToRetry) {
  WorkQueue queue({1, 1, "tests"});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(queue.Submit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();                                 // the worker is busy
  ASSERT_TRUE(queue.Submit([released] { released.wait(); }));  // waits in the queue
  auto refused = queue.Submit([] {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ServiceErrorKind::kBusy);
  EXPECT_GE(refused.error().retry_after.count(), 1);
  EXPECT_EQ(queue.queued(), 1u);
  release.set_value();
}

TEST(WorkQueueTest, RunsEveryAcceptedJobBeforeClosing) {
  std::atomic<int> ran{0};
  {
    WorkQueue queue({2, 100, "tests"});
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(queue.Submit([&] { ++ran; }));
    queue.Close();
    EXPECT_FALSE(queue.Submit([] {}));
  }
  EXPECT_EQ(ran, 50);
}

TEST(WorkQueueTest, NeverRunsMoreThanItsWorkers) {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  WorkQueue queue({3, 100, "tests"});
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(queue.Submit([&] {
      int running = ++now;
      int seen = most;
      while (running > seen && !most.compare_exchange_weak(seen, running)) {
      }
      std::this_thread::yield();
      --now;
    }));
  }
  queue.Close();
  EXPECT_LE(most, 3);
}

}  // namespace
}  // namespace codeexec::service
