// WorkQueue: a fixed set of worker threads and a bounded queue in front of them. Jobs beyond the
// workers wait in the queue, first come first served; beyond `max_queued` waiting jobs, Submit
// refuses (kBusy, to be answered with 429 and Retry-After) instead of letting work pile up
// without bound. The service runs executions on one (its size is the concurrency limit), and the
// HTTP server runs its blocking control operations (creating sessions, files) on another, so that
// no I/O thread ever blocks.
//
// Thread-safe. Close() stops taking jobs, lets the queued and running ones finish (callers cancel
// them first when they must end quickly) and joins the workers; the destructor calls it.
#ifndef CODEEXEC_SRC_SERVICE_WORK_QUEUE_H_
#define CODEEXEC_SRC_SERVICE_WORK_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "service/service_error.h"

namespace codeexec::service {

class WorkQueue {
 public:
  struct Options {
    std::size_t workers = 1;          // at least 1
    std::size_t max_queued = 0;       // jobs that may wait for a worker
    std::string what = "executions";  // for messages: "the queue of executions is full"
  };

  explicit WorkQueue(Options options);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `job` on a worker, at once or after the jobs queued before it. kBusy when max_queued
  // jobs already wait; kUnavailable after Close().
  ServiceResult<void> Submit(std::function<void()> job);

  std::size_t queued() const;
  std::size_t running() const;
  std::size_t workers() const { return workers_; }

  // Takes no more jobs, runs the queued ones, joins the workers. Idempotent.
  void Close();

 private:
  void Work();

  const Options options_;
  const std::size_t workers_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool closed_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_WORK_QUEUE_H_
