// ExecutorRegistry: executors by name, built from a JSON configuration (AutoGen's
// CodeExecutorFactory).
//
// The CLI and the agent create executors through a registry, so a user's own executor works
// everywhere a built-in one does once its factory is registered. DefaultExecutorRegistry() holds
// the built-ins ("local", "docker", "jupyter", "sandbox") and AutoGen's names for them as
// aliases ("commandline-local", "commandline-docker", "ipython-embedded", "jupyter-local"), so
// that a name an AutoGen user writes works wherever a name is accepted. Configurations are JSON
// text so that this header depends on no JSON library; each executor documents its keys and
// rejects unknown ones. A registry is thread-safe.
#ifndef CODEEXEC_REGISTRY_H_
#define CODEEXEC_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"
#include "codeexec/executor.h"

namespace codeexec {

// Builds an executor from a JSON object (text). Fails with kInvalidArgument on a bad
// configuration.
using ExecutorFactory =
    std::function<Result<std::unique_ptr<CodeExecutor>>(std::string_view json_config)>;

class ExecutorRegistry {
 public:
  // Fails when `name` is empty or already registered (as a name or an alias).
  Result<void> Register(std::string name, ExecutorFactory factory);

  // Makes `alias` another name for the registered executor `name` (not for another alias).
  // Fails when `alias` is empty or already taken, or `name` is not registered.
  Result<void> RegisterAlias(std::string alias, std::string_view name);

  // The registered name that `name` is or stands for. Unknown names fail with kNotFound and a
  // message listing the known names and aliases.
  Result<std::string> Resolve(std::string_view name) const;

  // `name` may be an alias. `json_config` must be a JSON object ("" means {}). Unknown names fail
  // as in Resolve.
  Result<std::unique_ptr<CodeExecutor>> Create(std::string_view name,
                                               std::string_view json_config = "{}") const;

  // Registered names, sorted; aliases are not among them.
  std::vector<std::string> names() const;

  // Each alias and the registered name it stands for, sorted by alias.
  std::map<std::string, std::string> aliases() const;

 private:
  // Resolve with mutex_ held.
  Result<std::string> ResolveLocked(std::string_view name) const;

  mutable std::mutex mutex_;
  std::map<std::string, ExecutorFactory, std::less<>> factories_;
  std::map<std::string, std::string, std::less<>> aliases_;
};

// Registers AutoGen's names for the built-in executors as aliases, each if `registry` holds the
// executor it stands for and the name is free: "commandline-local" (local),
// "commandline-docker" (docker), "ipython-embedded" and "jupyter-local" (jupyter: a local
// kernel unless configured with a jupyter_server).
void RegisterAutoGenAliases(ExecutorRegistry& registry);

// The process-wide registry with the built-in executors and AutoGen's aliases registered.
ExecutorRegistry& DefaultExecutorRegistry();

}  // namespace codeexec

#endif  // CODEEXEC_REGISTRY_H_
