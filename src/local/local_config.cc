// The "local" executor's JSON configuration (LocalCommandLineCodeExecutor::FromJson).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "codeexec/local_executor.h"
#include "command_line/command_line_config.h"
#include "core/json_options.h"

namespace codeexec {

Result<std::unique_ptr<CodeExecutor>> LocalCommandLineCodeExecutor::FromJson(
    std::string_view json_config) {
  LocalExecutorOptions options;
  auto parsed =
      ForEachOption(json_config, "local", [&](const std::string& key, const nlohmann::json& value) {
        if (key == "virtual_env") {
          options.virtual_env = value.get<std::string>();
          return Result<void>();
        }
        auto known = ApplyCommandLineOption(key, value, options);
        if (!known) return Result<void>(tl::unexpected(known.error()));
        return *known ? Result<void>()
                      : Result<void>(UnknownOption(
                            key, fmt::format("{}, virtual_env", kCommandLineOptionNames)));
      });
  if (!parsed) return tl::unexpected(parsed.error());
  auto executor = Create(std::move(options));
  if (!executor) return tl::unexpected(executor.error());
  return std::make_unique<LocalCommandLineCodeExecutor>(std::move(*executor));
}

}  // namespace codeexec
