#include "service/session.h"

#include "service/time_text.h"

namespace codeexec::service {

Session::Session(std::string id, std::unique_ptr<Workspace> workspace,
                 std::chrono::seconds idle_timeout)
    : id_(std::move(id)), workspace_(std::move(workspace)), idle_timeout_(idle_timeout) {}

void Session::Begin() {
  std::lock_guard lock(mutex_);
  ++running_;
  last_used_ = Clock::now();
}

void Session::End() {
  std::lock_guard lock(mutex_);
  --running_;
  last_used_ = Clock::now();
}

bool Session::Expired(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return running_ == 0 && now - last_used_ > idle_timeout_;
}

nlohmann::json Session::Describe() const {
  std::lock_guard lock(mutex_);
  nlohmann::json expires_in = nullptr;
  if (running_ == 0) {
    auto left = idle_timeout_ - (Clock::now() - last_used_);
    expires_in = std::max(0.0, std::chrono::duration<double>(left).count());
  }
  return {{"id", id_},
          {"executor", workspace_->choice().name},
          {"created", Rfc3339Utc(std::chrono::system_clock::to_time_t(created_))},
          {"idle_timeout", idle_timeout_.count()},
          {"expires_in", expires_in},
          {"running", running_}};
}

}  // namespace codeexec::service
