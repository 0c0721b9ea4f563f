#include "service/executor_policy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "codeexec/sandbox_executor.h"
#include "core/json_options.h"

namespace codeexec::service {
namespace {

using nlohmann::json;
using Kind = ClientLimit::Kind;

// The work-folder limits the service gives executors that have none by default (docker), the
// sandbox's own defaults.
constexpr double kDefaultWorkDirBytes = 512.0 * 1024 * 1024;
constexpr double kDefaultWorkDirFiles = 16384;

struct LimitSpec {
  const char* key;
  Kind kind;
  double builtin;  // the executor's default; 0: no limit
};

// The limits clients may lower, per executor, with the executors' own defaults.
std::vector<LimitSpec> LimitSpecs(std::string_view name) {
  std::vector<LimitSpec> specs = {{"timeout", Kind::kSeconds, 60},
                                  {"output_limit", Kind::kBytes, 1 << 20}};
  if (name == "sandbox") {
    SandboxLimits limits;
    specs.insert(specs.end(),
                 {{"memory_limit", Kind::kBytes, double(limits.memory_bytes)},
                  {"max_processes", Kind::kCount, double(limits.max_processes)},
                  {"cpu_time", Kind::kCount, double(limits.cpu_time.count())},
                  {"file_size_limit", Kind::kBytes, double(limits.file_size_bytes)},
                  {"open_files", Kind::kCount, double(limits.open_files)},
                  {"tmp_size", Kind::kBytes, double(limits.tmp_bytes)},
                  {"work_dir_size_limit", Kind::kBytes, double(limits.work_dir_bytes)},
                  {"work_dir_file_limit", Kind::kCount, double(limits.work_dir_files)}});
  } else if (name == "docker") {
    specs.insert(specs.end(), {{"memory_limit", Kind::kBytes, 0},
                               {"cpus", Kind::kCpus, 0},
                               {"pids_limit", Kind::kCount, 0},
                               {"work_dir_size_limit", Kind::kBytes, kDefaultWorkDirBytes},
                               {"work_dir_file_limit", Kind::kCount, kDefaultWorkDirFiles}});
  }
  return specs;
}

// Keys the service sets itself (per executor), which neither operators nor clients may set.
std::vector<std::string_view> ServerKeys(std::string_view name) {
  std::vector<std::string_view> keys = {"work_dir"};
  if (name == "jupyter") keys.insert(keys.end(), {"output_dir", "jupyter_server"});
  if (name == "docker") keys.push_back("container_name");
  return keys;
}

// `value` in the unit of `kind`; kInvalidArgument naming `key` otherwise.
Result<double> ParseLimit(const json& value, const std::string& key, Kind kind) {
  switch (kind) {
    case Kind::kSeconds: {
      auto ms = SecondsOption(value, key);
      if (!ms) return tl::unexpected(ms.error());
      return ms->count() / 1000.0;
    }
    case Kind::kBytes: {
      auto bytes = BytesOption(value, key);
      if (!bytes) return tl::unexpected(bytes.error());
      return static_cast<double>(*bytes);
    }
    case Kind::kCount:
      if (!value.is_number_unsigned()) {
        return OptionError(key, fmt::format("expected a whole number, got {}", value.dump()));
      }
      return static_cast<double>(value.get<uint64_t>());
    case Kind::kCpus:
      if (!value.is_number() || value.get<double>() < 0 || !std::isfinite(value.get<double>())) {
        return OptionError(key, fmt::format("expected a number of CPUs, got {}", value.dump()));
      }
      return value.get<double>();
  }
  return 0.0;
}

json LimitJson(double value, Kind kind) {
  if (kind == Kind::kSeconds || kind == Kind::kCpus) return value;
  return static_cast<uint64_t>(value);
}

std::string NameList(const std::vector<std::string>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

bool JupyterHasSandboxOption(const ExecutorRegistry& registry) {
  auto probe = registry.Create(
      "jupyter", R"({"sandbox": true, "kernel_name": "codeexec-probe-no-such-kernel"})");
  if (probe) {
    (void)(*probe)->Stop();
    return true;
  }
  return probe.error().message().find("option 'sandbox': unknown option") == std::string::npos;
}

Result<ExecutorPolicy> ExecutorPolicy::Create(const ExecutorRegistry& registry,
                                              PolicyOptions options) {
  ExecutorPolicy policy;
  policy.registry_ = &registry;
  auto default_name = registry.Resolve(options.default_executor);
  if (!default_name) return tl::unexpected(default_name.error());
  policy.default_ = *default_name;
  policy.allowed_.push_back(*default_name);
  for (const std::string& name : options.allowed) {
    auto resolved = registry.Resolve(name);
    if (!resolved) return tl::unexpected(resolved.error());
    if (std::find(policy.allowed_.begin(), policy.allowed_.end(), *resolved) ==
        policy.allowed_.end()) {
      policy.allowed_.push_back(*resolved);
    }
  }
  std::map<std::string, json> operator_configs;
  for (const auto& [name, text] : options.configs) {
    auto resolved = registry.Resolve(name);
    if (!resolved) return tl::unexpected(resolved.error());
    json config = json::parse(text.empty() ? "{}" : text, nullptr, false);
    if (config.is_discarded() || !config.is_object()) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("the configuration of executor '{}' is not a JSON object", *resolved));
    }
    operator_configs[*resolved] = std::move(config);
  }
  bool jupyter_allowed =
      std::find(policy.allowed_.begin(), policy.allowed_.end(), "jupyter") != policy.allowed_.end();
  policy.jupyter_sandbox_ = jupyter_allowed && JupyterHasSandboxOption(registry);
  for (const std::string& name : policy.allowed_) {
    json config = operator_configs.count(name) ? operator_configs[name] : json::object();
    for (std::string_view key : ServerKeys(name)) {
      if (config.contains(key)) {
        return MakeError(
            ErrorCode::kInvalidArgument,
            fmt::format("the configuration of executor '{}' sets '{}', which the "
                        "server sets for each session itself{}",
                        name, key, key == "work_dir" ? " (choose where with --work-root)" : ""));
      }
    }
    // A kernel runs in the sandbox unless the operator chose where it runs.
    if (name == "jupyter" && policy.jupyter_sandbox_ && !config.contains("sandbox") &&
        !config.contains("docker") && !config.contains("isolation")) {
      config["sandbox"] = true;
    }
    if (name == "docker") {
      if (!config.contains("work_dir_size_limit")) {
        config["work_dir_size_limit"] = static_cast<uint64_t>(kDefaultWorkDirBytes);
      }
      if (!config.contains("work_dir_file_limit")) {
        config["work_dir_file_limit"] = static_cast<uint64_t>(kDefaultWorkDirFiles);
      }
    }
    for (const LimitSpec& spec : LimitSpecs(name)) {
      if (!config.contains(spec.key)) continue;
      auto parsed = ParseLimit(config[spec.key], spec.key, spec.kind);
      if (!parsed) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("executor '{}': {}", name, parsed.error().message()));
      }
    }
    policy.configs_[name] = Allowed{std::move(config)};
  }
  for (const std::string& name : policy.allowed_) {
    if (options.allow_unisolated || policy.IsIsolated(name)) continue;
    std::string why = name == "jupyter"
                          ? "runs its kernel on this host without isolation (configure it with "
                            "{\"sandbox\": true} or {\"docker\": true})"
                          : "runs code on this host without isolation";
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("executor '{}' {}: pass --allow-unisolated to allow it anyway, "
                                 "or use the sandbox or docker executor",
                                 name, why));
  }
  return policy;
}

bool ExecutorPolicy::IsIsolated(std::string_view name) const {
  if (name == "sandbox" || name == "docker") return true;
  if (name == "jupyter") {
    auto found = configs_.find(name);
    if (found == configs_.end()) return false;
    const json& config = found->second.config;
    // "sandbox" and "docker" select their isolation with true or an object of options; any key
    // that asks for no isolation makes the kernel unisolated, whatever the others say.
    auto selects = [&](const char* key) {
      auto it = config.find(key);
      return it != config.end() && (it->is_object() || (it->is_boolean() && it->get<bool>()));
    };
    auto declines = [&](const char* key) {
      auto it = config.find(key);
      return it != config.end() && it->is_boolean() && !it->get<bool>();
    };
    auto named = config.find("isolation");
    std::string isolation =
        named != config.end() && named->is_string() ? named->get<std::string>() : std::string();
    if (isolation == "none" || declines("sandbox") || declines("docker")) return false;
    return isolation == "docker" || selects("docker") ||
           (jupyter_sandbox_ && (isolation == "sandbox" || selects("sandbox")));
  }
  return false;
}

bool ExecutorPolicy::IsStateful(std::string_view name) { return name == "jupyter"; }

std::vector<ClientLimit> ExecutorPolicy::ClientLimits(std::string_view name) const {
  std::vector<ClientLimit> limits;
  auto found = configs_.find(name);
  const json empty = json::object();
  const json& config = found != configs_.end() ? found->second.config : empty;
  for (const LimitSpec& spec : LimitSpecs(name)) {
    double value = spec.builtin;
    if (config.contains(spec.key))
      value = ParseLimit(config[spec.key], spec.key, spec.kind).value_or(0);
    ClientLimit limit{spec.key, spec.kind, std::nullopt};
    if (value > 0) limit.ceiling = value;
    limits.push_back(std::move(limit));
  }
  return limits;
}

ServiceResult<ExecutorChoice> ExecutorPolicy::Choose(std::string_view requested,
                                                     const json& client_config) const {
  std::string name = default_;
  if (!requested.empty()) {
    auto resolved = registry_->Resolve(requested);
    if (!resolved) return Refuse(ServiceErrorKind::kBadRequest, resolved.error().message());
    name = *resolved;
  }
  auto allowed = configs_.find(name);
  if (allowed == configs_.end()) {
    return Refuse(ServiceErrorKind::kForbidden,
                  fmt::format("executor '{}' is not allowed on this server (allowed: {}); the "
                              "operator allows more with --allow-executors",
                              name, NameList(allowed_)));
  }
  ExecutorChoice choice;
  choice.name = name;
  choice.config = allowed->second.config;
  std::vector<ClientLimit> limits = ClientLimits(name);
  if (!client_config.is_null()) {
    if (!client_config.is_object()) {
      return Refuse(ServiceErrorKind::kBadRequest, "'config' must be a JSON object");
    }
    for (const auto& [key, value] : client_config.items()) {
      auto limit = std::find_if(limits.begin(), limits.end(),
                                [&](const ClientLimit& l) { return l.key == key; });
      if (limit == limits.end()) {
        std::vector<std::string> keys;
        for (const ClientLimit& l : limits) keys.push_back(l.key);
        return Refuse(ServiceErrorKind::kBadRequest,
                      fmt::format("config: option '{}' cannot be set by clients of executor "
                                  "'{}'; they may lower: {}",
                                  key, name, NameList(keys)));
      }
      auto parsed = ParseLimit(value, key, limit->kind);
      if (!parsed)
        return Refuse(ServiceErrorKind::kBadRequest, "config: " + parsed.error().message());
      if (*parsed <= 0) {
        return Refuse(ServiceErrorKind::kBadRequest,
                      fmt::format("config: option '{}' must be more than 0", key));
      }
      if (limit->ceiling && *parsed > *limit->ceiling) {
        return Refuse(
            ServiceErrorKind::kBadRequest,
            fmt::format("config: option '{}' may be at most {} on this server (got {})", key,
                        LimitJson(*limit->ceiling, limit->kind).dump(), value.dump()));
      }
      choice.config[key] = LimitJson(*parsed, limit->kind);
      choice.operator_config = false;
    }
  }
  auto timeout = choice.config.find("timeout");
  if (timeout != choice.config.end()) {
    auto ms = SecondsOption(*timeout, "timeout");
    if (ms) choice.max_timeout = *ms;
  }
  for (const ClientLimit& limit : ClientLimits(name)) {
    double value = limit.ceiling.value_or(0);
    if (choice.config.contains(limit.key)) {
      value = ParseLimit(choice.config[limit.key], limit.key, limit.kind).value_or(0);
    }
    if (limit.key == "work_dir_size_limit") choice.work_dir_bytes = static_cast<uint64_t>(value);
    if (limit.key == "work_dir_file_limit") choice.work_dir_files = static_cast<uint64_t>(value);
  }
  return choice;
}

ServiceResult<std::chrono::milliseconds> ExecutorPolicy::CallTimeout(
    const ExecutorChoice& choice, std::optional<double> seconds) const {
  if (!seconds) return choice.max_timeout;
  double max_seconds = choice.max_timeout.count() / 1000.0;
  if (!std::isfinite(*seconds) || *seconds < 1 || *seconds > max_seconds) {
    return Refuse(ServiceErrorKind::kBadRequest,
                  fmt::format("'timeout' must be from 1 to {} seconds on this server (got {})",
                              max_seconds, *seconds));
  }
  return std::chrono::milliseconds(std::llround(*seconds * 1000));
}

json ExecutorPolicy::Describe() const {
  json out = json::array();
  for (const std::string& name : allowed_) {
    json limits = json::object();
    for (const ClientLimit& limit : ClientLimits(name)) {
      limits[limit.key] = limit.ceiling ? LimitJson(*limit.ceiling, limit.kind) : json(nullptr);
    }
    out.push_back({{"name", name},
                   {"default", name == default_},
                   {"isolated", IsIsolated(name)},
                   {"stateful", IsStateful(name)},
                   {"limits", std::move(limits)}});
  }
  return out;
}

}  // namespace codeexec::service
