// The JSON configuration keys of CommandLineOptions, shared by the local, sandbox and Docker
// executors' FromJson functions (the public entry points).
#ifndef CODEEXEC_SRC_COMMAND_LINE_COMMAND_LINE_CONFIG_H_
#define CODEEXEC_SRC_COMMAND_LINE_COMMAND_LINE_CONFIG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "codeexec/command_line_options.h"
#include "codeexec/error.h"

namespace codeexec {

inline constexpr std::string_view kCommandLineOptionNames =
    "timeout, work_dir, python, output_limit, kill_grace, execution_policies, env, unset_env, "
    "clear_env, functions, functions_module, cleanup_code_files, run_log";

// Applies `key` to `options` if it is one of kCommandLineOptionNames: true. False for any other
// key. Errors name the key and what was expected. May throw nlohmann::json::exception on a value
// of the wrong type (ForEachOption catches it).
Result<bool> ApplyCommandLineOption(const std::string& key, const nlohmann::json& value,
                                    CommandLineOptions& options);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_COMMAND_LINE_COMMAND_LINE_CONFIG_H_
