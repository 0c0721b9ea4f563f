// The sandbox's own configuration keys, shared by the "sandbox" executor's JSON configuration and
// by the Jupyter executor's sandboxed kernel ("sandbox": {...}).
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_CONFIG_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_CONFIG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "codeexec/sandbox_executor.h"

namespace codeexec {

inline constexpr std::string_view kSandboxOptionNames =
    "memory_limit, max_processes, cpu_time, file_size_limit, open_files, tmp_size, "
    "work_dir_size_limit, work_dir_file_limit, network, read_only_paths, host_uid, host_gid";

// True when `key` is one of the sandbox's own options (and applies it to `options`); wrong value
// types throw nlohmann::json::type_error, which ForEachOption reports.
Result<bool> ApplySandboxOption(const std::string& key, const nlohmann::json& value,
                                SandboxExecutorOptions& options);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_CONFIG_H_
