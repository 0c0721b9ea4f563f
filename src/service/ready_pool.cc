#include "service/ready_pool.h"

#include <algorithm>
#include <chrono>

#include "codeexec/log.h"

namespace codeexec::service {

ReadyPool::ReadyPool(std::size_t size, Maker make) : size_(size), make_(std::move(make)) {
  if (size_ > 0) thread_ = std::thread([this] { Fill(); });
}

ReadyPool::~ReadyPool() { Close(); }

std::unique_ptr<Workspace> ReadyPool::Take() {
  std::lock_guard lock(mutex_);
  if (ready_.empty()) return nullptr;
  std::unique_ptr<Workspace> workspace = std::move(ready_.front());
  ready_.pop_front();
  wake_.notify_all();
  return workspace;
}

std::size_t ReadyPool::ready() const {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

void ReadyPool::Close() {
  std::deque<std::unique_ptr<Workspace>> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mutex_);
    left.swap(ready_);
  }
  left.clear();  // each workspace closes as it goes
}

void ReadyPool::Fill() {
  using std::chrono::seconds;
  seconds backoff{1};
  std::unique_lock lock(mutex_);
  while (!closed_) {
    if (ready_.size() >= size_) {
      wake_.wait(lock, [this] { return closed_ || ready_.size() < size_; });
      continue;
    }
    lock.unlock();
    auto made = make_();
    lock.lock();
    if (made) {
      if (closed_) break;  // the workspace closes when `made` goes
      ready_.push_back(std::move(*made));
      backoff = seconds(1);
      continue;
    }
    Log(LogLevel::kWarning, "could not start a ready executor: " + made.error().message);
    wake_.wait_for(lock, backoff, [this] { return closed_; });
    backoff = std::min(backoff * 2, seconds(30));
  }
}

}  // namespace codeexec::service
