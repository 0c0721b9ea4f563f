// Session: a workspace that lives between requests (state kept: a kernel's variables, the work
// folder's files), known by an unguessable id, freed after `idle_timeout` without use.
//
// A session counts the executions it runs; it is idle only while none runs, and its idle time
// starts when the last one ends. Thread-safe.
#ifndef CODEEXEC_SRC_SERVICE_SESSION_H_
#define CODEEXEC_SRC_SERVICE_SESSION_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "service/workspace.h"

namespace codeexec::service {

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  Session(std::string id, std::unique_ptr<Workspace> workspace, std::chrono::seconds idle_timeout);

  const std::string& id() const { return id_; }
  Workspace& workspace() { return *workspace_; }
  std::chrono::seconds idle_timeout() const { return idle_timeout_; }

  // Marks an execution (or another use) starting and ending.
  void Begin();
  void End();
  // No use runs and the last ended more than idle_timeout before `now`.
  bool Expired(Clock::time_point now) const;

  // {id, executor, created (RFC 3339), idle_timeout, expires_in (seconds; null while running),
  // running}.
  nlohmann::json Describe() const;

 private:
  const std::string id_;
  const std::unique_ptr<Workspace> workspace_;
  const std::chrono::seconds idle_timeout_;
  const std::chrono::system_clock::time_point created_ = std::chrono::system_clock::now();
  mutable std::mutex mutex_;
  int running_ = 0;
  Clock::time_point last_used_ = Clock::now();
};

// Begin() and End() for a scope.
class SessionUse {
 public:
  explicit SessionUse(Session& session) : session_(session) { session_.Begin(); }
  ~SessionUse() { session_.End(); }
  SessionUse(const SessionUse&) = delete;
  SessionUse& operator=(const SessionUse&) = delete;

 private:
  Session& session_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_SESSION_H_
