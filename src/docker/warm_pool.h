// WarmPool: containers started ahead of need, so that a new Docker executor is ready at once
// (the `warm_pool` option).
//
// Containers are kept per key: the whole container configuration (image, mounts, environment,
// limits, network, labels, user, init command, daemon, ...), since none of it can change once a
// container exists. An executor asks with its key and a recipe; Take() hands over a started
// container (its runner greeted, its init command run) when one is waiting, and from then on the
// pool keeps `size` ready for that key, refilling on a background thread. An executor whose work
// folder is temporary gets the folder with the container: each warm container of such a key
// mounts a temporary folder of its own.
//
// Warm containers are ordinary codeexec containers (labelled `codeexec`, owned by this process,
// tied to it by their stdin like every executor's). Drain() removes them and stops refilling
// until the next Take(); the destructor drains, and the process-wide pool (Shared()) is destroyed
// at exit. A crash leaves nothing either: the containers end with their stdin connection.
//
// Thread-safe.
#ifndef CODEEXEC_SRC_DOCKER_WARM_POOL_H_
#define CODEEXEC_SRC_DOCKER_WARM_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/work_folder.h"
#include "docker/container.h"
#include "docker/docker_endpoint.h"

namespace codeexec::docker {

// A started container, with the temporary work folder it mounts when its key has one.
struct WarmContainer {
  std::unique_ptr<Container> container;
  WorkFolder folder;  // owned, or empty
};

// How to start a container for a key.
struct WarmRecipe {
  DockerEndpoint endpoint;
  // The spec for a container whose work folder is `work_dir` (a fresh temporary folder when
  // `temporary_work_dir`); a new random name each call.
  std::function<ContainerSpec(const std::filesystem::path& work_dir)> make_spec;
  bool temporary_work_dir = false;
  std::size_t size = 1;
};

class WarmPool {
 public:
  WarmPool() = default;
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // The process's pool, drained at exit.
  static WarmPool& Shared();

  // The identity of a container configuration: `spec` without its name (and without its work
  // folder when that is temporary), and the daemon's address.
  static std::string Key(const ContainerSpec& spec, const DockerEndpoint& endpoint,
                         bool temporary_work_dir);

  // A waiting container of `key` that still looks usable, if any; and from now on `recipe.size`
  // are kept ready for `key`.
  std::optional<WarmContainer> Take(const std::string& key, WarmRecipe recipe);

  // Removes every waiting container (waiting for those being started) and forgets the keys.
  void Drain();

  // Containers waiting, for all keys (for tests and benchmarks).
  std::size_t ready_count() const;

 private:
  struct Shelf {
    WarmRecipe recipe;
    std::deque<WarmContainer> ready;
    std::size_t starting = 0;
    bool failing = false;  // the last start failed: no more tries until the next Take
  };

  void Work();
  // A key that is short of containers, or empty.
  std::string Wanted() const;
  static Result<WarmContainer> StartOne(const WarmRecipe& recipe);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Shelf> shelves_;
  std::size_t starting_ = 0;  // across keys
  bool quitting_ = false;
  std::thread worker_;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_WARM_POOL_H_
