// DockerContainerOptions (docker_executor.h) at work: checking them, reading them from JSON, and
// making and starting the container they describe. Shared by the docker executor and the Jupyter
// executor's kernels in a container, so that both accept, refuse and build the same things.
#ifndef CODEEXEC_SRC_DOCKER_CONTAINER_OPTIONS_H_
#define CODEEXEC_SRC_DOCKER_CONTAINER_OPTIONS_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "codeexec/docker_executor.h"
#include "codeexec/error.h"
#include "docker/container.h"
#include "docker/docker_client.h"

namespace codeexec::docker {

// The JSON keys ApplyContainerOption knows, for "unknown key" messages.
inline constexpr std::string_view kContainerOptionNames =
    "image, docker_host, network_mode, memory_limit, cpus, pids_limit, tmpfs, ulimits, labels, "
    "user, cap_add, extra_volumes, extra_hosts";

// Applies one JSON key of DockerContainerOptions: false when `key` is not one of them. Value
// types are checked by nlohmann (json::type_error, for the caller's ForEachOption to report).
Result<bool> ApplyContainerOption(const std::string& key, const nlohmann::json& value,
                                  DockerContainerOptions& options);

// Checks the options (kInvalidArgument saying which one is wrong and why) and puts cap_add in
// Docker's form.
Result<void> CheckContainerOptions(DockerContainerOptions& options);

// codeexec-<12 random hex digits>.
std::string RandomContainerName();

// Copies the options into `spec` (image, network, limits, user, mounts, labels, ...).
void FillContainerSpec(const DockerContainerOptions& options, ContainerSpec& spec);

// The image on the daemon, pulled when missing; kNotFound saying how to build or load one.
Result<void> EnsureImage(const DockerClient& client, const std::string& image);

// Container::Start, pulling the image first when the daemon says it is missing (one round trip
// less when it is there).
Result<std::unique_ptr<Container>> StartContainer(DockerClient client, ContainerSpec spec);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CONTAINER_OPTIONS_H_
