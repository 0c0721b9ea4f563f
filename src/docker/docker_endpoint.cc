#include "docker/docker_endpoint.h"

#include <fmt/format.h>
#include <stdlib.h>

namespace codeexec::docker {

namespace {

// HOST[:PORT][/] after "tcp://", HOST possibly a bracketed IPv6 address.
bool ParseTcpAddress(std::string_view rest, DockerEndpoint& endpoint) {
  if (rest.ends_with('/')) rest.remove_suffix(1);
  std::string_view host = rest, port = "2375";
  if (rest.starts_with('[')) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return false;
    if (!after.empty()) port = after.substr(1);
  } else if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || port.empty() || host.find('/') != std::string_view::npos ||
      port.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  endpoint.host = host;
  endpoint.port = port;
  return true;
}

}  // namespace

Result<DockerEndpoint> ResolveDockerEndpoint(std::string_view docker_host) {
  DockerEndpoint endpoint;
  std::string address(docker_host);
  if (address.empty()) {
    const char* from_env = getenv("DOCKER_HOST");
    if (from_env != nullptr && *from_env != '\0') {
      address = from_env;
      endpoint.from_environment = true;
    }
  }
  if (address.empty()) address = fmt::format("unix://{}", kDefaultDockerSocket);
  endpoint.address = address;
  std::string where = address + (endpoint.from_environment ? " (from DOCKER_HOST)" : "");
  constexpr std::string_view kUnix = "unix://", kTcp = "tcp://";
  if (address.starts_with(kTcp)) {
    if (!ParseTcpAddress(std::string_view(address).substr(kTcp.size()), endpoint)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("the Docker address {} is not tcp://HOST[:PORT]", where));
    }
    const char* tls = getenv("DOCKER_TLS_VERIFY");
    if (tls != nullptr && *tls != '\0') {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("DOCKER_TLS_VERIFY is set for {}, but codeexec speaks plain TCP "
                                   "only: reach a TLS daemon through an SSH tunnel to its Unix "
                                   "socket, or unset DOCKER_TLS_VERIFY for a plain-TCP daemon",
                                   where));
    }
    return endpoint;
  }
  if (address.starts_with(kUnix)) {
    endpoint.socket_path = address.substr(kUnix.size());
  } else if (address.starts_with('/')) {
    endpoint.socket_path = address;
    endpoint.address = fmt::format("unix://{}", address);
  }
  if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the Docker address {} is not supported: write "
                                 "unix:///path/to/docker.sock or tcp://HOST[:PORT]",
                                 where));
  }
  return endpoint;
}

std::string UnreachableMessage(const DockerEndpoint& endpoint, const Error& cause) {
  std::string where =
      fmt::format("{}{}", endpoint.address, endpoint.from_environment ? " (from DOCKER_HOST)" : "");
  if (cause.code() == ErrorCode::kPermissionDenied) {
    return fmt::format(
        "the Docker daemon at {} refused this user ({}). Run as a member of the docker group "
        "(`sudo usermod -aG docker $USER`, then log in again) or as root, or run the code with "
        "`--executor local` (no isolation).",
        where, cause.message());
  }
  return fmt::format(
      "the Docker daemon is not reachable at {} ({}). Start it (`sudo systemctl start docker`, "
      "or `sudo dockerd > /tmp/dockerd.log 2>&1 &`), point DOCKER_HOST at a running daemon, or "
      "run the code with `--executor local` (no isolation).",
      where, cause.message());
}

}  // namespace codeexec::docker
