#include "docker/warm_pool.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "codeexec/log.h"

namespace codeexec::docker {
namespace {

// Removes a warm container and then the temporary folder it mounted.
void Dispose(WarmContainer& warm) {
  if (warm.container) {
    if (auto stopped = warm.container->Stop(); !stopped) {
      Log(LogLevel::kWarning, stopped.error().message());
    }
    warm.container.reset();
  }
  if (auto removed = warm.folder.Remove(); !removed) {
    Log(LogLevel::kWarning, removed.error().message());
  }
}

}  // namespace

WarmPool::~WarmPool() {
  Drain();
  {
    std::lock_guard lock(mutex_);
    quitting_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

WarmPool& WarmPool::Shared() {
  static WarmPool pool;
  return pool;
}

std::string WarmPool::Key(const ContainerSpec& spec, const DockerEndpoint& endpoint,
                          bool temporary_work_dir) {
  nlohmann::json key = {
      {"daemon", endpoint.address},
      {"image", spec.image},
      {"workspace", temporary_work_dir ? std::string("(temporary)") : spec.workspace_source},
      {"host_work_dir", temporary_work_dir ? std::string("(temporary)") : spec.host_work_dir},
      {"extra_volumes", spec.extra_volumes},
      {"extra_hosts", spec.extra_hosts},
      {"env", spec.env},
      {"labels", spec.labels},
      {"network_mode", spec.network_mode},
      {"user", spec.user},
      {"memory", spec.memory_bytes},
      {"nano_cpus", spec.nano_cpus},
      {"pids", spec.pids_limit},
      {"tmpfs", spec.tmpfs},
      {"ulimits", spec.ulimits},
      {"cap_add", spec.cap_add},
      {"work_dir_size_limit", spec.work_dir_size_limit},
      {"work_dir_file_limit", spec.work_dir_file_limit},
      {"auto_remove", spec.auto_remove},
      {"stop_container", spec.stop_container},
      {"use_runner", spec.use_runner},
      {"runner_source", spec.runner_source},
      {"init_command", spec.init_command},
      {"init_timeout_ms", spec.init_timeout.count()},
  };
  return key.dump();
}

std::optional<WarmContainer> WarmPool::Take(const std::string& key, WarmRecipe recipe) {
  std::vector<WarmContainer> stale;
  std::optional<WarmContainer> taken;
  {
    std::lock_guard lock(mutex_);
    Shelf& shelf = shelves_[key];
    shelf.recipe = std::move(recipe);
    shelf.failing = false;
    while (!shelf.ready.empty() && !taken) {
      WarmContainer warm = std::move(shelf.ready.front());
      shelf.ready.pop_front();
      if (warm.container->LooksUsable()) {
        taken = std::move(warm);
      } else {
        stale.push_back(std::move(warm));
      }
    }
    if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
  }
  changed_.notify_all();
  for (WarmContainer& warm : stale) Dispose(warm);
  return taken;
}

void WarmPool::Drain() {
  std::vector<WarmContainer> doomed;
  {
    std::unique_lock lock(mutex_);
    for (auto& [key, shelf] : shelves_) shelf.recipe.size = 0;  // no new starts
    changed_.wait(lock, [&] { return starting_ == 0; });
    for (auto& [key, shelf] : shelves_) {
      for (WarmContainer& warm : shelf.ready) doomed.push_back(std::move(warm));
    }
    shelves_.clear();
  }
  for (WarmContainer& warm : doomed) Dispose(warm);
}

std::size_t WarmPool::ready_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [key, shelf] : shelves_) count += shelf.ready.size();
  return count;
}

std::string WarmPool::Wanted() const {
  for (const auto& [key, shelf] : shelves_) {
    if (!shelf.failing && shelf.ready.size() + shelf.starting < shelf.recipe.size) return key;
  }
  return "";
}

Result<WarmContainer> WarmPool::StartOne(const WarmRecipe& recipe) {
  WarmContainer warm;
  std::filesystem::path work_dir;
  if (recipe.temporary_work_dir) {
    auto folder = WorkFolder::Prepare("");
    if (!folder) return tl::unexpected(folder.error());
    warm.folder = std::move(*folder);
    work_dir = warm.folder.path();
  }
  auto client = DockerClient::Connect(recipe.endpoint);
  if (!client) {
    Dispose(warm);
    return tl::unexpected(client.error());
  }
  auto container = Container::Start(std::move(*client), recipe.make_spec(work_dir));
  if (!container) {
    Dispose(warm);
    return tl::unexpected(container.error());
  }
  warm.container = std::move(*container);
  return warm;
}

void WarmPool::Work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return quitting_ || !Wanted().empty(); });
    if (quitting_) return;
    std::string key = Wanted();
    Shelf& shelf = shelves_[key];
    ++shelf.starting;
    ++starting_;
    WarmRecipe recipe = shelf.recipe;
    lock.unlock();
    auto started = StartOne(recipe);
    lock.lock();
    // Drain() waits for `starting_` to reach zero before it forgets keys, so the shelf is there.
    Shelf& same = shelves_[key];
    --same.starting;
    --starting_;
    if (started) {
      same.ready.push_back(std::move(*started));
    } else {
      same.failing = true;
      Log(LogLevel::kWarning,
          fmt::format("the warm pool could not start a container: {}", started.error().message()));
    }
    changed_.notify_all();
  }
}

}  // namespace codeexec::docker
