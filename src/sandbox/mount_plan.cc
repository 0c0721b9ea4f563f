#include "sandbox/mount_plan.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

namespace codeexec {

const char* MountSteps::Store(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back().c_str();
}

void MountSteps::Add(MountStep::Kind kind, std::string target, std::string source,
                     unsigned long flags, std::string type, std::string data) {
  MountStep step{kind};
  step.target = Store(std::move(target));
  if (!source.empty()) step.source = Store(std::move(source));
  if (!type.empty()) step.type = Store(std::move(type));
  if (!data.empty()) step.data = Store(std::move(data));
  step.flags = flags;
  steps_.push_back(step);
}

void MountSteps::Mkdir(std::string target) {
  Add(MountStep::Kind::kMkdir, std::move(target), {}, 0, {}, {});
}

void MountSteps::Mount(std::string source, std::string target, std::string type,
                       unsigned long flags, std::string data) {
  Add(MountStep::Kind::kMount, std::move(target), std::move(source), flags, std::move(type),
      std::move(data));
}

void MountSteps::Bind(std::string source, std::string target, unsigned long flags) {
  Add(MountStep::Kind::kMount, std::move(target), std::move(source), MS_BIND | flags, {}, {});
}

void MountSteps::Remount(std::string target, unsigned long flags) {
  Add(MountStep::Kind::kRemount, std::move(target), {}, MS_BIND | MS_REMOUNT | flags, {}, {});
}

void MountSteps::Upper(std::string target, unsigned long flags) {
  Add(MountStep::Kind::kUpper, std::move(target), "tmpfs", flags, "tmpfs", {});
}

void MountSteps::Keep(std::string target, int index) {
  Add(MountStep::Kind::kKeep, std::move(target), {}, 0, {}, {});
  steps_.back().fd = index;
}

void MountSteps::Overlay(std::string target, unsigned long flags) {
  Add(MountStep::Kind::kOverlay, std::move(target), "overlay", flags, "overlay", {});
}

void MountSteps::BindKept(std::string target) {
  Add(MountStep::Kind::kBindKept, std::move(target), {}, MS_BIND, {}, {});
}

void MountSteps::Touch(std::string target) {
  Add(MountStep::Kind::kTouch, std::move(target), {}, 0, {}, {});
}

void MountSteps::BindFrom(int index, std::string relative, std::string target) {
  Add(MountStep::Kind::kBindFrom, std::move(target), std::move(relative), MS_BIND | MS_REC, {}, {});
  steps_.back().fd = index;
}

std::string MountSteps::Describe(std::size_t index) const {
  if (index >= steps_.size()) return "an unknown mount step";
  const MountStep& step = steps_[index];
  static constexpr const char* kNames[] = {"create folder",
                                           "mount",
                                           "remount",
                                           "mount the upper layer's tmpfs at",
                                           "open",
                                           "mount the work folder's overlay at",
                                           "bind the work folder at",
                                           "create the mount point",
                                           "bind at"};
  static_assert(std::size(kNames) == static_cast<int>(MountStep::Kind::kBindFrom) + 1);
  return fmt::format("{} {}{}", kNames[static_cast<int>(step.kind)], step.target,
                     step.source ? fmt::format(" (from {})", step.source) : "");
}

namespace {

// Appends `text` to buffer[*at...], keeping room for the final NUL. No library calls: this runs
// in the sandbox's setup child.
void Append(char* buffer, std::size_t size, std::size_t* at, const char* text) {
  while (*text != '\0' && *at + 1 < size) buffer[(*at)++] = *text++;
  buffer[*at] = '\0';
}

void AppendProcFd(char* buffer, std::size_t size, std::size_t* at, int fd) {
  Append(buffer, size, at, "/proc/self/fd/");
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0 && n < 11);
  char reversed[12];
  for (int i = 0; i < n; ++i) reversed[i] = digits[n - 1 - i];
  reversed[n] = '\0';
  Append(buffer, size, at, reversed);
}

int MountOverlay(const MountStep& step, const RunMountState& state) {
  // userxattr: in a user namespace the overlay keeps its bookkeeping in user.overlay.* xattrs.
  char options[256];
  std::size_t at = 0;
  Append(options, sizeof(options), &at, "lowerdir=");
  AppendProcFd(options, sizeof(options), &at, state.kept[0]);
  Append(options, sizeof(options), &at, ",upperdir=");
  AppendProcFd(options, sizeof(options), &at, state.kept[1]);
  Append(options, sizeof(options), &at, "/upper,workdir=");
  AppendProcFd(options, sizeof(options), &at, state.kept[1]);
  Append(options, sizeof(options), &at, "/work,userxattr");
  return mount(step.source, step.target, step.type, step.flags, options);
}

// Binds kept[index], or `relative` under it, at the step's target.
int BindKept(const MountStep& step, const RunMountState& state, int index,
             const char* relative = nullptr) {
  char source[4200];
  std::size_t at = 0;
  AppendProcFd(source, sizeof(source), &at, state.kept[index]);
  if (relative != nullptr) {
    Append(source, sizeof(source), &at, "/");
    Append(source, sizeof(source), &at, relative);
    if (at + 1 >= sizeof(source)) {
      errno = ENAMETOOLONG;
      return -1;
    }
  }
  return mount(source, step.target, nullptr, step.flags, nullptr);
}

}  // namespace

int ApplyMountSteps(const MountSteps& steps, RunMountState& state, int* error) {
  const auto& list = steps.steps();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const MountStep& s = list[i];
    int rc = 0;
    switch (s.kind) {
      case MountStep::Kind::kMkdir:
        rc = mkdir(s.target, 0755);
        if (rc < 0 && errno == EEXIST) rc = 0;
        break;
      case MountStep::Kind::kMount:
        rc = mount(s.source, s.target, s.type, s.flags, s.data);
        break;
      case MountStep::Kind::kRemount:
        rc = mount(nullptr, s.target, nullptr, s.flags, nullptr);
        break;
      case MountStep::Kind::kUpper:
        rc = mount(s.source, s.target, s.type, s.flags, state.upper_options);
        break;
      case MountStep::Kind::kKeep:
        rc = state.kept[s.fd] = open(s.target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        break;
      case MountStep::Kind::kOverlay:
        rc = MountOverlay(s, state);
        break;
      case MountStep::Kind::kBindKept:
        rc = BindKept(s, state, 0);
        break;
      case MountStep::Kind::kTouch:
        rc = mknod(s.target, S_IFREG | 0644, 0);
        if (rc < 0 && errno == EEXIST) rc = 0;
        break;
      case MountStep::Kind::kBindFrom:
        rc = BindKept(s, state, s.fd, s.source);
        break;
    }
    if (rc < 0) {
      *error = errno;
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace codeexec
