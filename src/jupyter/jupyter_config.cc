// The "jupyter" executor's JSON configuration (JupyterCodeExecutor::FromJson).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "codeexec/jupyter_executor.h"
#include "core/json_options.h"
#include "docker/container_options.h"
#include "sandbox/sandbox_config.h"

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

Result<JupyterIsolation> IsolationOption(const json& value) {
  std::string name = value.get<std::string>();
  if (name == "none") return JupyterIsolation::kNone;
  if (name == "sandbox") return JupyterIsolation::kSandbox;
  if (name == "docker") return JupyterIsolation::kDocker;
  return OptionError("isolation", fmt::format("'{}' is not one of none, sandbox, docker", name));
}

// "sandbox": true / false, or the sandbox executor's limits (which select the sandbox).
Result<void> SandboxOption(const json& value, JupyterExecutorOptions& options) {
  if (value.is_boolean()) {
    options.isolation = value.get<bool>() ? JupyterIsolation::kSandbox : JupyterIsolation::kNone;
    return {};
  }
  if (!value.is_object()) {
    return OptionError("sandbox", "expected true, false or an object of the sandbox's limits");
  }
  SandboxExecutorOptions parsed;
  for (const auto& [key, member] : value.items()) {
    auto own = key == "work_dir_size_limit" || key == "work_dir_file_limit"
                   ? Result<bool>(false)
                   : ApplySandboxOption(key, member, parsed);
    if (!own) return tl::unexpected(own.error());
    if (!*own) {
      return OptionError("sandbox",
                         fmt::format("unknown key '{}' (known: memory_limit, max_processes, "
                                     "cpu_time, file_size_limit, open_files, tmp_size, network, "
                                     "read_only_paths, host_uid, host_gid)",
                                     key));
    }
  }
  options.isolation = JupyterIsolation::kSandbox;
  options.sandbox.limits = parsed.limits;
  options.sandbox.network = parsed.network;
  options.sandbox.read_only_paths = parsed.read_only_paths;
  options.sandbox.host_uid = parsed.host_uid;
  options.sandbox.host_gid = parsed.host_gid;
  return {};
}

// "docker": true / false, or the container's options (which select the container).
Result<void> DockerOption(const json& value, JupyterExecutorOptions& options) {
  if (value.is_boolean()) {
    options.isolation = value.get<bool>() ? JupyterIsolation::kDocker : JupyterIsolation::kNone;
    return {};
  }
  if (!value.is_object()) {
    return OptionError("docker", "expected true, false or an object of the container's options");
  }
  for (const auto& [key, member] : value.items()) {
    auto known = docker::ApplyContainerOption(key, member, options.docker);
    if (!known) return tl::unexpected(known.error());
    if (!*known) {
      return OptionError("docker", fmt::format("unknown key '{}' (known: {})", key,
                                               docker::kContainerOptionNames));
    }
  }
  options.isolation = JupyterIsolation::kDocker;
  return {};
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
  } else if (key == "isolation") {
    auto isolation = IsolationOption(value);
    if (!isolation) return tl::unexpected(isolation.error());
    options.isolation = *isolation;
  } else if (key == "sandbox") {
    return SandboxOption(value, options);
  } else if (key == "docker") {
    return DockerOption(value, options);
  } else {
    return UnknownOption(
        key,
        "kernel_name, timeout, output_dir, work_dir, python, output_limit, startup_timeout, "
        "interrupt_grace, env, unset_env, clear_env, jupyter_server, isolation, sandbox, docker");
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
