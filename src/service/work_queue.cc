#include "service/work_queue.h"

#include <fmt/format.h>

namespace codeexec::service {

WorkQueue::WorkQueue(Options options)
    : options_(std::move(options)), workers_(options_.workers == 0 ? 1 : options_.workers) {
  threads_.reserve(workers_);
  for (std::size_t i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

WorkQueue::~WorkQueue() { Close(); }

ServiceResult<void> WorkQueue::Submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (closed_) return Refuse(ServiceErrorKind::kUnavailable, "the server is shutting down");
  // Jobs beyond the workers wait; `max_queued` of them may (counted together, so that a job
  // not yet picked up by an idle worker does not count as waiting).
  if (running_ + queue_.size() >= workers_ + options_.max_queued) {
    ServiceError error{ServiceErrorKind::kBusy,
                       fmt::format("the queue of {} is full ({} running, {} waiting); try again "
                                   "later",
                                   options_.what, running_, queue_.size()),
                       std::chrono::seconds(1)};
    return tl::unexpected(std::move(error));
  }
  queue_.push_back(std::move(job));
  ready_.notify_one();
  return {};
}

std::size_t WorkQueue::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t WorkQueue::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void WorkQueue::Close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_ && threads_.empty()) return;
    closed_ = true;
    ready_.notify_all();
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  threads_.clear();
}

void WorkQueue::Work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return;  // closed, and nothing left to run
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    job();
    job = nullptr;  // whatever the job holds goes before the next one starts
    lock.lock();
    --running_;
  }
}

}  // namespace codeexec::service
