#include "docker/container_options.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <chrono>
#include <random>

#include "codeexec/log.h"
#include "core/json_options.h"
#include "docker/capabilities.h"

namespace codeexec::docker {
namespace {

using Clock = std::chrono::steady_clock;

// Docker refuses memory limits below 6 MiB.
constexpr int64_t kMinMemoryLimit = 6 << 20;

// Logs a pull's progress: every new step, and the byte counts at most once a second.
class PullLog {
 public:
  explicit PullLog(std::string image) : image_(std::move(image)) {}
  void operator()(std::string_view status) {
    bool counting = status.starts_with("Downloading") || status.starts_with("Extracting");
    if (counting && Clock::now() - last_ < std::chrono::seconds(1)) return;
    last_ = Clock::now();
    Log(LogLevel::kInfo, fmt::format("pulling {}: {}", image_, status));
  }

 private:
  std::string image_;
  Clock::time_point last_{};
};

}  // namespace

Result<bool> ApplyContainerOption(const std::string& key, const nlohmann::json& value,
                                  DockerContainerOptions& options) {
  if (key == "memory_limit") {
    auto bytes = BytesOption(value, key);
    if (!bytes) return tl::unexpected(bytes.error());
    options.memory_limit = static_cast<int64_t>(*bytes);
  } else if (key == "image") {
    options.image = value.get<std::string>();
  } else if (key == "docker_host") {
    options.docker_host = value.get<std::string>();
  } else if (key == "network_mode") {
    options.network_mode = value.get<std::string>();
  } else if (key == "cpus") {
    options.cpus = value.get<double>();
  } else if (key == "pids_limit") {
    options.pids_limit = value.get<int64_t>();
  } else if (key == "tmpfs") {
    options.tmpfs = value.get<std::map<std::string, std::string>>();
  } else if (key == "ulimits") {
    options.ulimits = value.get<std::map<std::string, int64_t>>();
  } else if (key == "labels") {
    options.labels = value.get<std::map<std::string, std::string>>();
  } else if (key == "user") {
    options.user = value.get<std::string>();
  } else if (key == "cap_add") {
    options.cap_add = value.get<std::vector<std::string>>();
  } else if (key == "extra_volumes") {
    options.extra_volumes = value.get<std::vector<std::string>>();
  } else if (key == "extra_hosts") {
    options.extra_hosts = value.get<std::vector<std::string>>();
  } else {
    return false;
  }
  return true;
}

Result<void> CheckContainerOptions(DockerContainerOptions& options) {
  auto bad = [](std::string message) { return MakeError(ErrorCode::kInvalidArgument, message); };
  if (options.image.empty()) return bad("a container needs an image: set `image`");
  if (options.memory_limit != 0 && options.memory_limit < kMinMemoryLimit) {
    return bad(fmt::format("memory_limit must be 0 (none) or at least 6 MiB (got {} bytes)",
                           options.memory_limit));
  }
  if (options.cpus < 0) return bad("cpus must not be negative");
  if (options.pids_limit < 0) return bad("pids_limit must not be negative");
  for (const auto& [name, limit] : options.ulimits) {
    if (name.empty() || limit < 0) {
      return bad("each of ulimits must have a name and a limit that is not negative");
    }
  }
  for (const auto& [path, mount_options] : options.tmpfs) {
    if (path.empty() || path[0] != '/') return bad("each tmpfs path must be absolute");
  }
  for (const auto& volume : options.extra_volumes) {
    if (volume.find(':') == std::string::npos) {
      return bad(fmt::format("extra volume '{}' is not HOST:CONTAINER[:ro|rw]", volume));
    }
  }
  if (options.tmpfs.contains(std::string(kWorkspace))) {
    return bad(
        fmt::format("tmpfs cannot mount {}, the work folder; to limit it, set "
                    "work_dir_size_limit or work_dir_file_limit",
                    kWorkspace));
  }
  auto capabilities = NormalizeCapabilities(options.cap_add);
  if (!capabilities) return tl::unexpected(capabilities.error());
  options.cap_add = std::move(*capabilities);
  return {};
}

std::string RandomContainerName() {
  unsigned char bytes[6] = {};
  if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    std::random_device device;
    for (auto& byte : bytes) byte = static_cast<unsigned char>(device());
  }
  std::string name = "codeexec-";
  for (unsigned char byte : bytes) name += fmt::format("{:02x}", byte);
  return name;
}

void FillContainerSpec(const DockerContainerOptions& options, ContainerSpec& spec) {
  spec.image = options.image;
  spec.extra_volumes = options.extra_volumes;
  spec.extra_hosts = options.extra_hosts;
  spec.labels = options.labels;
  spec.network_mode = options.network_mode;
  spec.user = options.user;
  spec.memory_bytes = options.memory_limit;
  spec.nano_cpus = static_cast<int64_t>(options.cpus * 1e9);
  spec.pids_limit = options.pids_limit;
  spec.tmpfs = options.tmpfs;
  spec.ulimits = options.ulimits;
  spec.cap_add = options.cap_add;  // normalized by CheckContainerOptions
}

Result<void> EnsureImage(const DockerClient& client, const std::string& image) {
  auto found = client.InspectImage(image);
  if (found || found.error().code() != ErrorCode::kNotFound) return found;
  PullLog log(image);
  auto pulled = client.PullImage(image, [&](std::string_view status) { log(status); });
  if (pulled) return {};
  return MakeError(
      ErrorCode::kNotFound,
      fmt::format("the Docker image {} is not on the daemon at {} and could not be pulled ({}). "
                  "Build one without a registry with `codeexec docker build-image` (or "
                  "scripts/build-test-image.sh): codeexec/python:bookworm, Debian with python3, "
                  "numpy, matplotlib and ipykernel; load one with `docker load`; or choose another "
                  "image (--image, or the `image` option).",
                  image, client.endpoint().address, pulled.error().message()));
}

Result<std::unique_ptr<Container>> StartContainer(DockerClient client, ContainerSpec spec) {
  auto started = Container::Start(client, spec);
  if (!started && started.error().code() == ErrorCode::kNotFound) {
    if (auto image = EnsureImage(client, spec.image); !image) return tl::unexpected(image.error());
    started = Container::Start(std::move(client), std::move(spec));
  }
  return started;
}

}  // namespace codeexec::docker
