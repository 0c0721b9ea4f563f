// Where the Docker daemon listens: the `docker_host` option, else $DOCKER_HOST, else the default
// socket /var/run/docker.sock. Two kinds of address: unix:///path (or a bare absolute path), the
// daemon on this host; and tcp://HOST[:PORT] (port 2375 by default), plain TCP without TLS, a
// daemon that may run elsewhere and then cannot see this host's files.
#ifndef CODEEXEC_SRC_DOCKER_DOCKER_ENDPOINT_H_
#define CODEEXEC_SRC_DOCKER_DOCKER_ENDPOINT_H_

#include <string>
#include <string_view>

#include "codeexec/error.h"

namespace codeexec::docker {

inline constexpr std::string_view kDefaultDockerSocket = "/var/run/docker.sock";

struct DockerEndpoint {
  std::string address;            // as the user would write it: "unix:///var/run/docker.sock"
  std::string socket_path;        // "/var/run/docker.sock"; empty for TCP
  bool from_environment = false;  // the address came from $DOCKER_HOST
  std::string host;               // TCP only: a name, an IPv4 address or an IPv6 one (no [])
  std::string port;               // TCP only

  bool is_unix() const { return !socket_path.empty(); }
};

// `docker_host` as given (empty: $DOCKER_HOST, then the default socket). kInvalidArgument for an
// address that is neither unix:// nor tcp://, and for TLS (DOCKER_TLS_VERIFY), not supported.
Result<DockerEndpoint> ResolveDockerEndpoint(std::string_view docker_host);

// The message for a daemon that does not answer at `endpoint`: where we looked, why it failed,
// and what to do (start dockerd, fix DOCKER_HOST, or use the local executor).
std::string UnreachableMessage(const DockerEndpoint& endpoint, const Error& cause);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_DOCKER_ENDPOINT_H_
