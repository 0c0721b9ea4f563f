// The "sandbox" executor's JSON configuration (SandboxExecutor::FromJson).
#include "sandbox/sandbox_config.h"

#include <fmt/format.h>

#include <limits>

#include "codeexec/sandbox_executor.h"
#include "command_line/command_line_config.h"
#include "core/json_options.h"

namespace codeexec {
namespace {

using nlohmann::json;

Result<uint64_t> Count(const json& value, std::string_view key) {
  if (!value.is_number_unsigned()) return OptionError(key, "expected a non-negative whole number");
  return value.get<uint64_t>();
}

}  // namespace

Result<bool> ApplySandboxOption(const std::string& key, const json& value,
                                SandboxExecutorOptions& options) {
  SandboxLimits& limits = options.limits;
  if (key == "network") {
    options.network = value.get<bool>();
    return true;
  }
  if (key == "read_only_paths") {
    for (const auto& path : value) options.read_only_paths.emplace_back(path.get<std::string>());
    return true;
  }
  uint64_t* field = key == "memory_limit"          ? &limits.memory_bytes
                    : key == "file_size_limit"     ? &limits.file_size_bytes
                    : key == "tmp_size"            ? &limits.tmp_bytes
                    : key == "work_dir_size_limit" ? &limits.work_dir_bytes
                                                   : nullptr;
  if (field != nullptr) {
    auto n = BytesOption(value, key);
    if (!n) return tl::unexpected(n.error());
    *field = *n;
    return true;
  }
  if (key == "max_processes" || key == "open_files" || key == "cpu_time" ||
      key == "work_dir_file_limit" || key == "host_uid" || key == "host_gid") {
    auto n = Count(value, key);
    if (!n) return tl::unexpected(n.error());
    bool is_id = key == "host_uid" || key == "host_gid";
    if ((is_id && (*n == 0 || *n >= 0xffffffffu)) ||
        (!is_id && key != "work_dir_file_limit" && *n > std::numeric_limits<uint32_t>::max())) {
      return OptionError(key,
                         is_id ? "expected an unprivileged id: from 1 to 4294967294" : "too large");
    }
    if (key == "max_processes") limits.max_processes = static_cast<uint32_t>(*n);
    if (key == "open_files") limits.open_files = static_cast<uint32_t>(*n);
    if (key == "cpu_time") limits.cpu_time = std::chrono::seconds(*n);
    if (key == "work_dir_file_limit") limits.work_dir_files = *n;
    if (key == "host_uid") options.host_uid = static_cast<uint32_t>(*n);
    if (key == "host_gid") options.host_gid = static_cast<uint32_t>(*n);
    return true;
  }
  return false;
}

Result<std::unique_ptr<CodeExecutor>> SandboxExecutor::FromJson(std::string_view json_config) {
  SandboxExecutorOptions options;
  auto parsed =
      ForEachOption(json_config, "sandbox", [&](const std::string& key, const json& value) {
        auto own = ApplySandboxOption(key, value, options);
        if (!own) return Result<void>(tl::unexpected(own.error()));
        if (*own) return Result<void>();
        auto shared = ApplyCommandLineOption(key, value, options);
        if (!shared) return Result<void>(tl::unexpected(shared.error()));
        return *shared
                   ? Result<void>()
                   : Result<void>(UnknownOption(
                         key, fmt::format("{}, {}", kCommandLineOptionNames, kSandboxOptionNames)));
      });
  if (!parsed) return tl::unexpected(parsed.error());
  auto executor = Create(std::move(options));
  if (!executor) return tl::unexpected(executor.error());
  return std::make_unique<SandboxExecutor>(std::move(*executor));
}

}  // namespace codeexec
