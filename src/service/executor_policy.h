// ExecutorPolicy: which executors a service's clients may use and how far they may configure
// them. The operator's word is final: clients choose among the allowed executors and may lower
// the operator's limits (timeout, output, memory, processes, work-folder size, ...), never raise
// them, and may set no other key at all (never work_dir, network, read_only_paths, host ids,
// docker_host, volumes, images, kernels...).
//
// Isolation. `local` runs code as this process's user on this host, and a Jupyter kernel on the
// host isolates nothing either, so both are refused unless the operator passes allow_unisolated.
// When the Jupyter executor can start its kernel in the sandbox (a `sandbox` option; probed once
// at Create by a configuration that cannot start a kernel), `jupyter` counts as isolated and its
// configurations ask for the sandboxed kernel unless the operator's says otherwise. Executors the
// policy does not know (a user's own, registered in the registry) count as unisolated.
//
// Configurations handed to executors never carry `work_dir`: the service gives each executor a
// folder of its own (see Service). Thread-safe after Create (immutable).
#ifndef CODEEXEC_SRC_SERVICE_EXECUTOR_POLICY_H_
#define CODEEXEC_SRC_SERVICE_EXECUTOR_POLICY_H_

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"
#include "codeexec/registry.h"
#include "service/service_error.h"

namespace codeexec::service {

struct PolicyOptions {
  // What a request that names no executor gets.
  std::string default_executor = "sandbox";
  // Which executors clients may ask for (names or aliases); the default is always among them.
  std::vector<std::string> allowed;
  // The operator's configuration of each executor (JSON object text), by name or alias: the
  // maxima clients may lower. Executors without one use their built-in defaults.
  std::map<std::string, std::string> configs;
  // Allow executors that do not isolate code from this host (local; jupyter on the host).
  bool allow_unisolated = false;
};

// A limit clients may lower, and its ceiling.
struct ClientLimit {
  enum class Kind { kSeconds, kBytes, kCount, kCpus };
  std::string key;
  Kind kind = Kind::kCount;
  // The operator's value or the executor's default, in the key's unit (seconds, bytes, ...);
  // nullopt when there is no limit (then clients may set any positive value).
  std::optional<double> ceiling;
};

// The executor a request gets and its configuration.
struct ExecutorChoice {
  std::string name;  // registered name (aliases resolved)
  // The configuration to create it with (the operator's, the client's lowered limits on top, and
  // what the policy adds), without work_dir.
  nlohmann::json config = nlohmann::json::object();
  // The longest timeout a call may ask for (the configuration's timeout).
  std::chrono::milliseconds max_timeout{std::chrono::seconds(60)};
  // Work-folder limits of the configuration (0: none), which the service also applies to files
  // clients place there.
  uint64_t work_dir_bytes = 0;
  uint64_t work_dir_files = 0;
  // Whether `config` is the operator's unchanged (so that a ready executor of it can serve).
  bool operator_config = true;
};

class ExecutorPolicy {
 public:
  // Resolves the names through `registry`, checks every operator configuration (a JSON object
  // without keys the service sets itself) and the isolation rule. Errors (kInvalidArgument) say
  // which flag to change.
  static Result<ExecutorPolicy> Create(const ExecutorRegistry& registry, PolicyOptions options);

  // The executor for a request: `requested` (empty: the default) must be allowed; `client_config`
  // (a JSON object, or null for none) may only lower this executor's client limits. Refusals:
  // kBadRequest for an unknown executor, an unknown or forbidden key, a wrong type or a raise;
  // kForbidden for a known executor that is not allowed.
  ServiceResult<ExecutorChoice> Choose(std::string_view requested,
                                       const nlohmann::json& client_config) const;

  // A call's timeout: `seconds` (when given) from 1 to the choice's maximum; else the maximum.
  ServiceResult<std::chrono::milliseconds> CallTimeout(const ExecutorChoice& choice,
                                                       std::optional<double> seconds) const;

  const std::string& default_executor() const { return default_; }
  const std::vector<std::string>& allowed() const { return allowed_; }
  bool IsIsolated(std::string_view name) const;
  // Whether `name` keeps state between calls (a kernel).
  static bool IsStateful(std::string_view name);
  // The limits clients may lower on `name`, with their ceilings.
  std::vector<ClientLimit> ClientLimits(std::string_view name) const;

  // For GET /v1/executors: [{name, default, isolated, stateful, limits: {key: ceiling|null}}].
  nlohmann::json Describe() const;

 private:
  struct Allowed {
    nlohmann::json config;  // the operator's, with what the policy adds
  };
  ExecutorPolicy() = default;

  const ExecutorRegistry* registry_ = nullptr;
  std::string default_;
  std::vector<std::string> allowed_;  // registered names, default first
  std::map<std::string, Allowed, std::less<>> configs_;
  bool jupyter_sandbox_ = false;  // the Jupyter executor can start its kernel in the sandbox
};

// Whether the registry's "jupyter" executor knows the `sandbox` option (its kernel in the
// sandbox). Parses a configuration that names a kernel that cannot exist, so no kernel starts.
bool JupyterHasSandboxOption(const ExecutorRegistry& registry);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_EXECUTOR_POLICY_H_
