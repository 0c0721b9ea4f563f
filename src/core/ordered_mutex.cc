#include "core/ordered_mutex.h"

namespace codeexec {

bool OrderedMutex::Lock(const CancellationToken& cancel) {
  std::unique_lock lock(mutex_);
  uint64_t ticket = next_ticket_++;
  if (serving_ == ticket) return true;
  // Registered without the lock: the callback runs at once when the token is already cancelled,
  // and otherwise on the cancelling thread; it only wakes the waiters.
  lock.unlock();
  uint64_t callback = cancel.OnCancel([this] {
    std::lock_guard wake(mutex_);
    turn_.notify_all();
  });
  lock.lock();
  turn_.wait(lock, [&] { return serving_ == ticket || cancel.IsCancelled(); });
  lock.unlock();
  cancel.RemoveCallback(callback);
  lock.lock();
  if (serving_ == ticket) {
    if (!cancel.IsCancelled()) return true;
    Advance();  // our turn came with the cancellation: pass it on
    return false;
  }
  abandoned_.insert(ticket);
  return false;
}

void OrderedMutex::Unlock() {
  std::lock_guard lock(mutex_);
  Advance();
}

void OrderedMutex::Advance() {
  ++serving_;
  while (abandoned_.erase(serving_) > 0) ++serving_;
  turn_.notify_all();
}

}  // namespace codeexec
