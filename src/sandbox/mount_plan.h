// MountSteps: mount operations computed in the parent and applied with nothing but system calls
// in the sandbox's setup child (the child of a multi-threaded process may not allocate).
//
// Only what must be fresh for every run is done this way (see sandbox_view.h): a new /proc with
// the kernel's knobs read-only or masked, private /tmp and /dev/shm, and the work folder (through
// a per-run upper layer, or bound as it is). Everything static was mounted once per executor.
#ifndef CODEEXEC_SRC_SANDBOX_MOUNT_PLAN_H_
#define CODEEXEC_SRC_SANDBOX_MOUNT_PLAN_H_

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace codeexec {

struct MountStep {
  enum class Kind {
    kMkdir,     // mkdir target (an existing folder is fine)
    kMount,     // mount(source, target, type, flags, data)
    kRemount,   // mount(NULL, target, NULL, flags, NULL): a bind remount changing flags
    kUpper,     // mount a tmpfs at target with the run's own options (sizes differ per run)
    kKeep,      // open target (a folder) into kept[fd], close-on-exec: later steps name it as
                // /proc/self/fd/N, which still reaches it once a mount covers its path
    kOverlay,   // an overlay at target: lower layer kept[0], upper and work folders in kept[1]
    kBindKept,  // bind kept[0] at target
    kTouch,     // create an empty file at target (an existing one is fine): a mount point
    kBindFrom,  // bind source, a path relative to the folder kept[fd], at target (MS_REC)
  };
  Kind kind;
  const char* source = nullptr;
  const char* target = nullptr;
  const char* type = nullptr;
  const char* data = nullptr;
  unsigned long flags = 0;
  int fd = -1;  // kKeep, kBindFrom: the index in RunMountState::kept
};

// What a run's steps share: its own data, and what kKeep steps opened.
struct RunMountState {
  const char* upper_options = nullptr;  // the data of kUpper steps
  int kept[3] = {-1, -1, -1};
};

class MountSteps {
 public:
  MountSteps() = default;
  MountSteps(MountSteps&&) = default;
  MountSteps& operator=(MountSteps&&) = default;

  void Mkdir(std::string target);
  void Mount(std::string source, std::string target, std::string type, unsigned long flags,
             std::string data = {});
  void Bind(std::string source, std::string target, unsigned long flags = 0);
  void Remount(std::string target, unsigned long flags);
  void Upper(std::string target, unsigned long flags);
  void Keep(std::string target, int index);
  void Overlay(std::string target, unsigned long flags);
  void BindKept(std::string target);
  void Touch(std::string target);
  // Binds what `relative` names under the folder kept[index] at `target`, with its submounts and
  // their flags (a read-only mount stays read-only).
  void BindFrom(int index, std::string relative, std::string target);

  const std::vector<MountStep>& steps() const { return steps_; }
  // A readable description of step `index`, for error messages.
  std::string Describe(std::size_t index) const;

 private:
  const char* Store(std::string text);
  void Add(MountStep::Kind kind, std::string target, std::string source, unsigned long flags,
           std::string type, std::string data);

  std::deque<std::string> strings_;  // stable storage for the steps' C strings
  std::vector<MountStep> steps_;
};

// Applies `steps` in the current (child) process. Async-signal-safe. Returns -1 on success, or
// the index of the failing step with its errno in *error.
int ApplyMountSteps(const MountSteps& steps, RunMountState& state, int* error);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_MOUNT_PLAN_H_
