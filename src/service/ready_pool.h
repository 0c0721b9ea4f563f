// ReadyPool: workspaces started ahead of need, so that a one-shot execution does not wait for an
// executor to be created (a sandbox's preparation, a container's start). A thread of its own keeps
// `size` of them ready, making a new one whenever one is taken; when making one fails, it waits
// (1 s, doubling up to 30 s) before trying again, so that a broken configuration costs little.
//
// Each workspace serves one execution and is then thrown away (its folder and whatever the code
// left in it go with it): one-shot requests never see each other's files. Thread-safe; Close()
// stops the thread and closes the workspaces still ready, and runs from the destructor.
#ifndef CODEEXEC_SRC_SERVICE_READY_POOL_H_
#define CODEEXEC_SRC_SERVICE_READY_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "service/service_error.h"
#include "service/workspace.h"

namespace codeexec::service {

class ReadyPool {
 public:
  using Maker = std::function<ServiceResult<std::unique_ptr<Workspace>>()>;

  // `size` 0: no thread, Take() always returns nullptr.
  ReadyPool(std::size_t size, Maker make);
  ~ReadyPool();
  ReadyPool(const ReadyPool&) = delete;
  ReadyPool& operator=(const ReadyPool&) = delete;

  // A ready workspace, or nullptr when none is (the caller then makes one itself).
  std::unique_ptr<Workspace> Take();
  std::size_t ready() const;

  void Close();

 private:
  void Fill();

  const std::size_t size_;
  const Maker make_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Workspace>> ready_;
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_READY_POOL_H_
