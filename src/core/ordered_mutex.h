// OrderedMutex: a mutex that passes to its waiters in the order they arrived (std::mutex makes
// no such promise), whose wait ends early when the waiter's cancellation token fires. For the
// executors with one kernel or one container, which run calls one at a time in arrival order.
#ifndef CODEEXEC_SRC_CORE_ORDERED_MUTEX_H_
#define CODEEXEC_SRC_CORE_ORDERED_MUTEX_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>

#include "codeexec/cancellation.h"

namespace codeexec {

class OrderedMutex {
 public:
  // Waits for this caller's turn and takes the mutex: true. False when `cancel` fired first (the
  // turn is given up; the mutex is not held).
  bool Lock(const CancellationToken& cancel);
  void Unlock();

 private:
  // Moves to the next ticket that still waits. Needs mutex_.
  void Advance();

  std::mutex mutex_;
  std::condition_variable turn_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
  std::set<uint64_t> abandoned_;  // tickets given up before their turn
};

// Holds an OrderedMutex for a scope (when Lock succeeded).
class OrderedLock {
 public:
  OrderedLock(OrderedMutex& mutex, const CancellationToken& cancel)
      : mutex_(mutex), held_(mutex.Lock(cancel)) {}
  ~OrderedLock() {
    if (held_) mutex_.Unlock();
  }
  OrderedLock(const OrderedLock&) = delete;
  OrderedLock& operator=(const OrderedLock&) = delete;
  bool held() const { return held_; }

 private:
  OrderedMutex& mutex_;
  bool held_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_ORDERED_MUTEX_H_
