// The JSON keys of CommandLineOptions.
#include "command_line/command_line_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_options.h"

namespace codeexec {
namespace {

using nlohmann::json;

Result<PythonFunction> Function(const json& value) {
  if (!value.is_object() || !value.contains("source") || !value["source"].is_string()) {
    return OptionError("functions", "each function is an object with a \"source\" string");
  }
  PythonFunction function;
  function.source = value["source"];
  function.imports = value.value("imports", std::vector<std::string>{});
  function.packages = value.value("packages", std::vector<std::string>{});
  return function;
}

}  // namespace

Result<bool> ApplyCommandLineOption(const std::string& key, const json& value,
                                    CommandLineOptions& options) {
  if (key == "timeout") {
    auto timeout = SecondsOption(value, key);
    if (!timeout) return tl::unexpected(timeout.error());
    options.timeout = *timeout;
  } else if (key == "kill_grace") {
    auto grace = SecondsOption(value, key);
    if (!grace) return tl::unexpected(grace.error());
    options.kill_grace = *grace;
  } else if (key == "work_dir") {
    options.work_dir = value.get<std::string>();
  } else if (key == "python") {
    options.python = value.get<std::string>();
  } else if (key == "output_limit") {
    auto limit = OutputLimitOption(value, key);
    if (!limit) return tl::unexpected(limit.error());
    options.output_limit = *limit;
  } else if (key == "execution_policies") {
    auto policies = PoliciesOption(value, key);
    if (!policies) return tl::unexpected(policies.error());
    options.execution_policies = std::move(*policies);
  } else if (key == "env") {
    options.env.set = value.get<std::map<std::string, std::string>>();
  } else if (key == "unset_env") {
    options.env.unset = value.get<std::vector<std::string>>();
  } else if (key == "clear_env") {
    options.env.clear = value.get<bool>();
  } else if (key == "functions_module") {
    options.functions_module = value.get<std::string>();
  } else if (key == "functions") {
    for (const auto& item : value) {
      auto function = Function(item);
      if (!function) return tl::unexpected(function.error());
      options.functions.push_back(std::move(*function));
    }
  } else if (key == "cleanup_code_files") {
    options.cleanup_code_files = value.get<bool>();
  } else if (key == "run_log") {
    options.run_log = value.get<bool>();
  } else {
    return false;
  }
  return true;
}

}  // namespace codeexec
