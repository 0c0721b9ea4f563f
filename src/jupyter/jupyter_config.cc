// The "jupyter" executor's JSON configuration (JupyterCodeExecutor::FromJson).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "codeexec/jupyter_executor.h"
#include "core/json_options.h"

namespace codeexec {
namespace {

using nlohmann::json;

Result<JupyterConnectionInfo> ServerInfo(const json& value) {
  if (!value.is_object()) {
    return OptionError("jupyter_server",
                       "expected {\"host\", \"port\", \"token\", \"https\", \"ca_file\", "
                       "\"liveness_timeout\"}");
  }
  JupyterConnectionInfo server;
  for (const auto& [key, member] : value.items()) {
    if (key == "host") {
      server.host = member.get<std::string>();
    } else if (key == "port") {
      server.port = member.get<int>();
    } else if (key == "token") {
      server.token = member.get<std::string>();
    } else if (key == "https" || key == "use_https") {
      server.https = member.get<bool>();
    } else if (key == "ca_file") {
      server.ca_file = member.get<std::string>();
    } else if (key == "liveness_timeout") {
      auto seconds = SecondsOption(member, "jupyter_server.liveness_timeout");
      if (!seconds) return tl::unexpected(seconds.error());
      server.liveness_timeout = *seconds;
    } else {
      return OptionError("jupyter_server",
                         fmt::format("unknown key '{}' (known: host, port, token, https, ca_file, "
                                     "liveness_timeout)",
                                     key));
    }
  }
  return server;
}

// Applies one key; value types are checked by nlohmann (json::type_error), caught by FromJson.
Result<void> Apply(const std::string& key, const json& value, JupyterExecutorOptions& options) {
  std::chrono::milliseconds* duration = key == "timeout"           ? &options.timeout
                                        : key == "startup_timeout" ? &options.startup_timeout
                                        : key == "interrupt_grace" ? &options.interrupt_grace
                                                                   : nullptr;
  if (duration != nullptr) {
    auto seconds = SecondsOption(value, key);
    if (!seconds) return tl::unexpected(seconds.error());
    *duration = *seconds;
  } else if (key == "kernel_name") {
    options.kernel_name = value.get<std::string>();
  } else if (key == "output_dir") {
    options.output_dir = value.get<std::string>();
  } else if (key == "work_dir") {
    options.work_dir = value.get<std::string>();
  } else if (key == "python") {
    options.python = value.get<std::string>();
  } else if (key == "output_limit") {
    auto limit = OutputLimitOption(value, key);
    if (!limit) return tl::unexpected(limit.error());
    options.output_limit = *limit;
  } else if (key == "jupyter_server") {
    auto server = ServerInfo(value);
    if (!server) return tl::unexpected(server.error());
    options.server = *server;
  } else if (key == "env") {
    options.env.set = value.get<std::map<std::string, std::string>>();
  } else if (key == "unset_env") {
    options.env.unset = value.get<std::vector<std::string>>();
  } else if (key == "clear_env") {
    options.env.clear = value.get<bool>();
  } else {
    return UnknownOption(
        key,
        "kernel_name, timeout, output_dir, work_dir, python, output_limit, startup_timeout, "
        "interrupt_grace, env, unset_env, clear_env, jupyter_server");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<CodeExecutor>> JupyterCodeExecutor::FromJson(std::string_view json_config) {
  JupyterExecutorOptions options;
  auto parsed = ForEachOption(
      json_config, "jupyter",
      [&](const std::string& key, const json& value) { return Apply(key, value, options); });
  if (!parsed) return tl::unexpected(parsed.error());
  auto executor = Create(std::move(options));
  if (!executor) return tl::unexpected(executor.error());
  return std::make_unique<JupyterCodeExecutor>(std::move(*executor));
}

}  // namespace codeexec
