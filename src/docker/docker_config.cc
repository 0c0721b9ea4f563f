// The "docker" executor's JSON configuration (DockerCommandLineCodeExecutor::FromJson).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "codeexec/docker_executor.h"
#include "command_line/command_line_config.h"
#include "core/ascii.h"
#include "core/json_options.h"
#include "docker/container_options.h"

namespace codeexec {
namespace {

using nlohmann::json;

// Applies one key; nlohmann checks the value types (json::type_error, caught by FromJson).
Result<void> Apply(const std::string& key, const json& value, DockerExecutorOptions& options) {
  auto shared = ApplyCommandLineOption(key, value, options);
  if (!shared) return tl::unexpected(shared.error());
  if (*shared) return {};
  auto container = docker::ApplyContainerOption(key, value, options);
  if (!container) return tl::unexpected(container.error());
  if (*container) return {};
  if (key == "container_name") {
    options.container_name = value.get<std::string>();
  } else if (key == "bind_dir") {
    options.bind_dir = value.get<std::string>();
  } else if (key == "auto_remove") {
    options.auto_remove = value.get<bool>();
  } else if (key == "stop_container") {
    options.stop_container = value.get<bool>();
  } else if (key == "init_command") {
    options.init_command = value.get<std::string>();
  } else if (key == "work_dir_size_limit") {
    auto bytes = BytesOption(value, key);
    if (!bytes) return tl::unexpected(bytes.error());
    options.work_dir_size_limit = static_cast<int64_t>(*bytes);
  } else if (key == "work_dir_file_limit") {
    if (!value.is_number_unsigned()) return OptionError(key, "expected a number of files");
    options.work_dir_file_limit = value.get<int64_t>();
  } else if (key == "bind_work_dir") {
    options.bind_work_dir = value.get<bool>();
  } else if (key == "use_runner") {
    options.use_runner = value.get<bool>();
  } else if (key == "warm_pool") {
    if (!value.is_number_unsigned()) return OptionError(key, "expected a number of containers");
    options.warm_pool = value.get<std::size_t>();
  } else {
    return UnknownOption(
        key, fmt::format("{}, {}, container_name, bind_dir, auto_remove, stop_container, "
                         "init_command, work_dir_size_limit, work_dir_file_limit, bind_work_dir, "
                         "use_runner, warm_pool",
                         kCommandLineOptionNames, docker::kContainerOptionNames));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<CodeExecutor>> DockerCommandLineCodeExecutor::FromJson(
    std::string_view json_config) {
  DockerExecutorOptions options;
  auto parsed = ForEachOption(
      json_config, "docker",
      [&](const std::string& key, const json& value) { return Apply(key, value, options); });
  if (!parsed) return tl::unexpected(parsed.error());
  auto executor = Create(std::move(options));
  if (!executor) return tl::unexpected(executor.error());
  return std::make_unique<DockerCommandLineCodeExecutor>(std::move(*executor));
}

}  // namespace codeexec
