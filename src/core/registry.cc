#include "codeexec/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace codeexec {

Result<void> ExecutorRegistry::Register(std::string name, ExecutorFactory factory) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "executor name is empty");
  if (!factory) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("executor '{}': the factory is empty", name));
  }
  std::lock_guard lock(mutex_);
  if (aliases_.contains(name) || !factories_.emplace(name, std::move(factory)).second) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("an executor named '{}' is already registered", name));
  }
  return {};
}

Result<void> ExecutorRegistry::RegisterAlias(std::string alias, std::string_view name) {
  if (alias.empty()) return MakeError(ErrorCode::kInvalidArgument, "executor alias is empty");
  std::lock_guard lock(mutex_);
  if (!factories_.contains(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot make '{}' an alias of '{}': no executor named '{}' is "
                                 "registered; register it first",
                                 alias, name, name));
  }
  if (factories_.contains(alias) || !aliases_.emplace(alias, std::string(name)).second) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("an executor named '{}' is already registered", alias));
  }
  return {};
}

Result<std::string> ExecutorRegistry::ResolveLocked(std::string_view name) const {
  if (factories_.contains(name)) return std::string(name);
  if (auto alias = aliases_.find(name); alias != aliases_.end()) return alias->second;
  std::vector<std::string> known;
  for (const auto& [key, value] : factories_) known.push_back(key);
  std::vector<std::string> aliases;
  for (const auto& [alias, target] : aliases_) aliases.push_back(alias + " = " + target);
  return MakeError(
      ErrorCode::kNotFound,
      fmt::format("Unknown code executor '{}' (known: {}{}{})", name, fmt::join(known, ", "),
                  aliases.empty() ? "" : "; aliases: ", fmt::join(aliases, ", ")));
}

Result<std::string> ExecutorRegistry::Resolve(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return ResolveLocked(name);
}

Result<std::unique_ptr<CodeExecutor>> ExecutorRegistry::Create(std::string_view name,
                                                               std::string_view json_config) const {
  ExecutorFactory factory;
  {
    std::lock_guard lock(mutex_);
    auto resolved = ResolveLocked(name);
    if (!resolved) return tl::unexpected(resolved.error());
    factory = factories_.find(*resolved)->second;
  }
  // Outside the lock: a factory may take long (start a container) or use the registry.
  return factory(json_config.empty() ? std::string_view("{}") : json_config);
}

std::vector<std::string> ExecutorRegistry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

std::map<std::string, std::string> ExecutorRegistry::aliases() const {
  std::lock_guard lock(mutex_);
  return {aliases_.begin(), aliases_.end()};
}

void RegisterAutoGenAliases(ExecutorRegistry& registry) {
  // AutoGen 0.2's CodeExecutorFactory knows "commandline-local" and "ipython-embedded"; its
  // tutorials also write "jupyter-local". It has no name for DockerCommandLineCodeExecutor:
  // "commandline-docker" is the one its naming gives (and configurations in the wild use).
  static constexpr std::pair<const char*, const char*> kAliases[] = {
      {"commandline-local", "local"},
      {"commandline-docker", "docker"},
      {"ipython-embedded", "jupyter"},
      {"jupyter-local", "jupyter"},
  };
  for (const auto& [alias, name] : kAliases) {
    [[maybe_unused]] auto registered = registry.RegisterAlias(alias, name);
  }
}

}  // namespace codeexec
