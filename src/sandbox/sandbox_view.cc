#include "sandbox/sandbox_view.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/work_folder.h"
#include "sandbox/id_map.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;

// /etc entries code may need (name resolution, the dynamic linker, certificates, locales,
// interpreters' configuration), and never secrets such as shadow files or private keys. Files and
// folders are bound read-only (nothing is copied), links kept as links.
constexpr const char* kEtcAllowlist[] = {
    "passwd",
    "group",
    "hosts",
    "hostname",
    "resolv.conf",
    "nsswitch.conf",
    "host.conf",
    "gai.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "alternatives",
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates",
    "ca-certificates.conf",
    "mime.types",
    "protocols",
    "services",
    "os-release",
    "debian_version",
    "environment",
    "bash.bashrc",
    "profile",
    "inputrc",
    "fonts",
    "matplotlibrc",
    "python3",
    "python3.11",
    "R",
    "perl",
    "php",
    "java-17-openjdk",
    "java-21-openjdk",
    "magic",
    "locale.alias",
    "locale.gen",
    "default",
    "subversion",
    "gitconfig",
    "npmrc",
    "xdg",
    "mailcap",
};

constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom"};

// /proc entries as container runtimes treat them (runc's defaults): files masked by /dev/null,
// folders by an empty read-only tmpfs, and the kernel's knobs read-only.
constexpr const char* kProcMaskedFiles[] = {
    "kcore", "keys", "timer_list", "timer_stats", "sched_debug", "latency_stats", "sysrq-trigger"};
constexpr const char* kProcMaskedFolders[] = {"acpi", "asound", "scsi"};
constexpr const char* kProcReadOnly[] = {"sys", "bus", "fs", "irq"};

// Where the template keeps the idmapped work folder: under the mount point of /dev/shm, which
// each run covers with a tmpfs of its own once it has opened the folder.
constexpr const char* kLower = "/dev/shm";

// The flags a bind remount must keep: in a user namespace the kernel refuses to drop flags that
// the original mount has (they are locked).
unsigned long LockedFlags(const fs::path& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// `path` is `folder` or inside it (both absolute, without . or ..).
bool Within(const fs::path& path, const fs::path& folder) {
  auto [in_folder, in_path] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  return in_folder == folder.end();
}

bool UnderTmp(const fs::path& path) { return Within(path, "/tmp"); }

// Run steps that make `dir` and its parents (existing ones are fine).
void AddMkdirs(MountSteps& run, const fs::path& dir) {
  fs::path current = "/";
  for (const auto& part : dir.relative_path()) run.Mkdir((current /= part).string());
}

// An empty host folder to mount the view's root on, in the builder's namespace only: on /dev/shm
// when the host has one, since a tmpfs makes and removes a folder in microseconds where a disk
// file system can take a few hundred (ext4 with online discard), on the way of every executor's
// start.
Result<fs::path> MakeMountPoint() {
  char in_memory[] = "/dev/shm/codeexec-view-XXXXXX";
  if (mkdtemp(in_memory) != nullptr) return fs::path(in_memory);
  return MakeTempFolder("codeexec-view");
}

// Where the run's steps keep the view's /tmp (RunMountState::kept), to bind the read-only paths
// under it again once the run's own /tmp covers it.
constexpr int kKeptViewTmp = 2;

// The read-only paths as the view mounts them (absolute, existing, no trailing slash), or what is
// wrong with one of them and what to do.
Result<std::vector<fs::path>> CheckReadOnlyPaths(const SandboxViewOptions& options) {
  std::vector<fs::path> checked;
  for (fs::path path : options.read_only_paths) {
    auto invalid = [&](std::string_view why) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("read_only_paths: {} {}", path.string(), why));
    };
    if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
    std::error_code probe;
    if (!path.is_absolute() || !fs::exists(path, probe)) {
      return invalid("is not an existing absolute path");
    }
    for (const auto& part : path) {
      if (part == "." || part == "..") return invalid("has . or .. in it: give the path itself");
    }
    if (path == "/" || path == "/tmp") {
      return invalid(
          "is not a folder the sandbox can show read-only (each run has its own / and "
          "/tmp): name the folders under it that the code should read");
    }
    for (const char* own : {"/proc", "/dev/shm", "/dev/pts"}) {
      if (Within(path, own)) {
        return invalid(fmt::format(
            "is under {}, which each run mounts for itself, so the code would never see it", own));
      }
    }
    if (Within(path, options.work_dir)) {
      return invalid(fmt::format(
          "is in the work folder {}, which the code may always write: move it out of the work "
          "folder, or leave it out of read_only_paths",
          options.work_dir.string()));
    }
    checked.push_back(std::move(path));
  }
  return checked;
}

// The mounting done on the template's thread, each step checked with what it was doing.
class TemplateBuilder {
 public:
  // `idmap`: the user namespace that maps the work folder's owner to the sandbox's root, made by
  // the caller meanwhile (it takes a short-lived process); waited for at the last step.
  TemplateBuilder(const SandboxViewOptions& options, fs::path root,
                  std::future<Result<UniqueFd>> idmap)
      : options_(options), root_(std::move(root)), idmap_(std::move(idmap)) {}

  Result<UniqueFd> Build();

 private:
  Result<void> Check(bool ok, std::string_view what) {
    if (ok) return {};
    return ErrnoError(fmt::format("cannot build the sandbox's file system ({})", what), errno);
  }
  fs::path Inside(const fs::path& path) const { return root_ / path.relative_path(); }
  // `dir` and its missing parents, inside the root. The root is a fresh tmpfs that only this
  // builder writes, so the folders it made are known without asking the kernel; a folder that
  // is there already (one of a host folder bound inside) is fine too.
  Result<void> MakeDirs(const fs::path& dir) {
    const std::string& name = dir.native();
    if (name.size() <= root_.native().size() || made_.contains(name)) return {};
    if (auto parent = MakeDirs(dir.parent_path()); !parent) return parent;
    if (mkdir(name.c_str(), 0755) != 0 && errno != EEXIST) {
      int error = errno;
      struct stat st;
      if (stat(name.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = error;
        return Check(false, "create " + name);
      }
    }
    made_.insert(name);
    return {};
  }
  Result<void> MakeFile(const fs::path& file) {
    if (auto dirs = MakeDirs(file.parent_path()); !dirs) return dirs;
    // mknod, not open: a descriptor open for writing, even for an instant, is copied into any
    // child another thread starts meanwhile, and while one lives the root cannot be made
    // read-only (EBUSY).
    return Check(mknod(file.c_str(), S_IFREG | 0644, 0) == 0 || errno == EEXIST,
                 "create " + file.string());
  }
  // LockedFlags(source), asked once per host mount (mount flags are per mount): by `source`'s
  // mount id, from `known` when the caller has already looked at it with STATX_MNT_ID.
  unsigned long LockedFlagsOf(const fs::path& source, const struct statx* known = nullptr) {
    struct statx looked;
    if (known == nullptr && statx(AT_FDCWD, source.c_str(), 0, STATX_MNT_ID, &looked) == 0) {
      known = &looked;
    }
    if (known == nullptr || (known->stx_mask & STATX_MNT_ID) == 0) return LockedFlags(source);
    auto [flags, added] = locked_by_mount_.try_emplace(known->stx_mnt_id, 0);
    if (added) flags->second = LockedFlags(source);
    return flags->second;
  }
  // Binds `source` (a host path) read-only at `target` inside the root.
  Result<void> BindReadOnly(const fs::path& source, const fs::path& target,
                            unsigned long extra = MS_NOSUID | MS_NODEV,
                            const struct statx* known = nullptr) {
    std::string at = target.string();
    if (auto ok = Check(mount(source.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0,
                        "bind " + source.string());
        !ok) {
      return ok;
    }
    return Check(mount(nullptr, at.c_str(), nullptr,
                       MS_BIND | MS_REMOUNT | MS_RDONLY | extra | LockedFlagsOf(source, known),
                       nullptr) == 0,
                 "make " + source.string() + " read-only");
  }
  Result<void> TopLevel();
  Result<void> Etc();
  Result<void> Dev();
  Result<void> Work();
  Result<void> PivotAndOpen(UniqueFd* ns);

  const SandboxViewOptions& options_;
  fs::path root_;
  std::future<Result<UniqueFd>> idmap_;
  std::unordered_set<std::string> made_;                         // MakeDirs
  std::unordered_map<uint64_t, unsigned long> locked_by_mount_;  // LockedFlagsOf
};

Result<void> TemplateBuilder::TopLevel() {
  for (const char* dir : {"usr", "etc", "proc", "dev/shm", "tmp"}) {
    if (auto made = MakeDirs(root_ / dir); !made) return made;
  }
  std::error_code probe;
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (fs::is_symlink(top, probe)) {
      fs::path target = fs::read_symlink(top, probe);
      if (auto ok = Check(symlink(target.c_str(), Inside(top).c_str()) == 0, top); !ok) return ok;
    } else if (fs::is_directory(top, probe)) {
      if (auto made = MakeDirs(Inside(top)); !made) return made;
      if (auto bound = BindReadOnly(top, Inside(top)); !bound) return bound;
    }
  }
  if (auto bound = BindReadOnly("/usr", Inside("/usr")); !bound) return bound;
  for (const fs::path& path : options_.read_only_paths) {
    auto made = fs::is_directory(path, probe) ? MakeDirs(Inside(path)) : MakeFile(Inside(path));
    if (!made) return made;
    if (auto bound = BindReadOnly(path, Inside(path)); !bound) return bound;
  }
  // Only so that each sandbox may mount its own /proc over it (see the header).
  std::string proc = Inside("/proc").string();
  return Check(mount("/proc", proc.c_str(), nullptr, MS_BIND, nullptr) == 0 &&
                   mount(nullptr, proc.c_str(), nullptr,
                         MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0,
               "bind /proc");
}

Result<void> TemplateBuilder::Etc() {
  for (const char* name : kEtcAllowlist) {
    fs::path source = fs::path("/etc") / name;
    fs::path target = Inside(source);
    struct statx st;
    if (statx(AT_FDCWD, source.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, &st) != 0) {
      continue;
    }
    if (auto dirs = MakeDirs(target.parent_path()); !dirs) return dirs;
    if (S_ISLNK(st.stx_mode)) {
      std::error_code ec;
      fs::path link = fs::read_symlink(source, ec);
      if (auto ok = Check(!ec && symlink(link.c_str(), target.c_str()) == 0, source.string());
          !ok) {
        return ok;
      }
    } else if (S_ISDIR(st.stx_mode)) {
      if (auto made = MakeDirs(target); !made) return made;
      if (auto bound = BindReadOnly(source, target, MS_NOSUID | MS_NODEV, &st); !bound) {
        return bound;
      }
    } else if (S_ISREG(st.stx_mode)) {
      if (auto made = MakeFile(target); !made) return made;
      if (auto bound = BindReadOnly(source, target, MS_NOSUID | MS_NODEV, &st); !bound) {
        return bound;
      }
    }
  }
  return {};
}

Result<void> TemplateBuilder::Dev() {
  fs::path dev = Inside("/dev");
  for (const char* name : kDevices) {
    fs::path target = dev / name;
    if (auto made = MakeFile(target); !made) return made;
    // Read-only binds: the devices work (a device node is written through, whatever its
    // mount), but their modes and owners cannot change.
    if (auto bound = BindReadOnly(fs::path("/dev") / name, target, MS_NOSUID | MS_NOEXEC); !bound) {
      return bound;
    }
  }
  // Where each run mounts a devpts instance of its own (terminals: IPython's `!cmd` runs its
  // command on one), and the multiplexer it opens through.
  if (auto made = MakeDirs(dev / "pts"); !made) return made;
  for (auto [name, target] : {std::pair{"ptmx", "pts/ptmx"},
                              {"fd", "/proc/self/fd"},
                              {"stdin", "/proc/self/fd/0"},
                              {"stdout", "/proc/self/fd/1"},
                              {"stderr", "/proc/self/fd/2"}}) {
    if (auto ok = Check(symlink(target, (dev / name).c_str()) == 0, name); !ok) return ok;
  }
  return {};
}

// The work folder, idmapped: its owner on disk appears as the sandbox's root (host_uid).
Result<void> TemplateBuilder::Work() {
  auto ns = idmap_.get();
  if (!ns) return tl::unexpected(ns.error());
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, options_.work_dir.c_str(),
                                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (auto ok = Check(tree.valid(), "clone the work folder's mount"); !ok) return ok;
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<uint64_t>(ns->get());
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
    int error = errno;
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("the sandbox cannot show the work folder {} to its unprivileged user: this "
                    "file system does not support idmapped mounts ({}). Choose a work folder on "
                    "ext4, xfs, btrfs or tmpfs.",
                    options_.work_dir.string(), std::strerror(error)));
  }
  std::string lower = Inside(kLower).string();
  if (auto ok = Check(syscall(SYS_move_mount, tree.get(), "", AT_FDCWD, lower.c_str(),
                              MOVE_MOUNT_F_EMPTY_PATH) == 0,
                      "mount the work folder");
      !ok) {
    return ok;
  }
  // Outside /tmp the folder's mount point is part of the read-only root; under /tmp each run makes
  // it in its fresh /tmp.
  if (!UnderTmp(options_.work_dir)) return MakeDirs(Inside(options_.work_dir));
  return {};
}

Result<void> TemplateBuilder::PivotAndOpen(UniqueFd* ns) {
  std::string root = root_.string();
  if (auto ok = Check(mount(nullptr, root.c_str(), nullptr,
                            MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0,
                      "make the root read-only");
      !ok) {
    return ok;
  }
  // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the
  // view.
  if (auto ok = Check(chdir(root.c_str()) == 0 && syscall(SYS_pivot_root, ".", ".") == 0 &&
                          umount2(".", MNT_DETACH) == 0 && chdir("/") == 0,
                      "pivot_root");
      !ok) {
    return ok;
  }
  ns->Reset(open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC));
  return Check(ns->valid(), "open the mount namespace");
}

Result<UniqueFd> TemplateBuilder::Build() {
  if (auto ok = Check(unshare(CLONE_FS | CLONE_NEWNS) == 0, "unshare"); !ok) {
    return tl::unexpected(ok.error());
  }
  // Nothing mounted here may propagate back to the host.
  std::string root = root_.string();
  if (auto ok = Check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                          mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                                "mode=0755,size=16m,nr_inodes=16384") == 0,
                      "mount the root");
      !ok) {
    return tl::unexpected(ok.error());
  }
  for (auto step : {&TemplateBuilder::TopLevel, &TemplateBuilder::Etc, &TemplateBuilder::Dev,
                    &TemplateBuilder::Work}) {
    if (auto done = (this->*step)(); !done) return tl::unexpected(done.error());
  }
  UniqueFd ns;
  if (auto pivoted = PivotAndOpen(&ns); !pivoted) return tl::unexpected(pivoted.error());
  return ns;
}

// What each run mounts for itself (see the header).
void AddRunSteps(const SandboxViewOptions& options, MountSteps& run) {
  constexpr unsigned long kProcFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  run.Mount("proc", "/proc", "proc", kProcFlags);
  std::error_code probe;
  for (const char* name : kProcMaskedFiles) {
    fs::path path = fs::path("/proc") / name;
    if (fs::exists(path, probe)) run.Bind("/dev/null", path.string());
  }
  for (const char* name : kProcMaskedFolders) {
    fs::path path = fs::path("/proc") / name;
    if (fs::is_directory(path, probe)) {
      run.Mount("tmpfs", path.string(), "tmpfs", MS_RDONLY | kProcFlags, "size=4k,mode=0555");
    }
  }
  for (const char* name : kProcReadOnly) {
    fs::path path = fs::path("/proc") / name;
    if (!fs::exists(path, probe)) continue;
    run.Bind(path.string(), path.string(), MS_REC);
    run.Remount(path.string(), MS_RDONLY | kProcFlags);
  }
  // The work folder's layers are opened before the run's own /tmp and /dev/shm cover where they
  // are mounted, and named through their descriptors from then on: code sees neither.
  run.Keep(kLower, 0);
  // The read-only paths under /tmp are in the view's /tmp, which the run's own /tmp covers: the
  // run binds them again from the view's, kept before anything covers it.
  std::vector<const fs::path*> under_tmp;
  for (const fs::path& path : options.read_only_paths) {
    if (UnderTmp(path)) under_tmp.push_back(&path);
  }
  if (!under_tmp.empty()) run.Keep("/tmp", kKeptViewTmp);
  if (options.upper_layer) {
    run.Upper("/tmp", MS_NOSUID | MS_NODEV);
    run.Mkdir("/tmp/upper");
    run.Mkdir("/tmp/work");
    run.Keep("/tmp", 1);
  }
  std::string tmpfs = fmt::format("mode=1777,size={},nr_inodes=65536", options.tmp_bytes);
  run.Mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs);
  run.Mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs);
  // A private instance: the run's terminals only, none of the host's.
  run.Mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620");
  for (const fs::path* path : under_tmp) {
    AddMkdirs(run, path->parent_path());
    if (fs::is_directory(*path, probe)) {
      run.Mkdir(path->string());
    } else {
      run.Touch(path->string());
    }
    // The view's mount is read-only and locked, and its copy keeps both.
    run.BindFrom(kKeptViewTmp, path->lexically_relative("/tmp").string(), path->string());
  }
  if (UnderTmp(options.work_dir)) AddMkdirs(run, options.work_dir);
  if (options.upper_layer) {
    run.Overlay(options.work_dir.string(), MS_NOSUID | MS_NODEV);
  } else {
    run.BindKept(options.work_dir.string());
  }
}

}  // namespace

Result<SandboxView> SandboxView::Build(const SandboxViewOptions& given,
                                       const std::function<void(const SideWork&)>& meanwhile) {
  struct stat work;
  if (stat(given.work_dir.c_str(), &work) != 0) {
    return ErrnoError("cannot look at the work folder " + given.work_dir.string(), errno);
  }
  auto read_only_paths = CheckReadOnlyPaths(given);
  if (!read_only_paths) return tl::unexpected(read_only_paths.error());
  SandboxViewOptions options = given;
  options.read_only_paths = std::move(*read_only_paths);
  // The root is a tmpfs mounted, in the template's namespace only, on an empty host folder that
  // is removed again once the namespace has pivoted away from it.
  auto base = MakeMountPoint();
  if (!base) return tl::unexpected(base.error());
  Result<UniqueFd> ns = MakeError(ErrorCode::kInternal, "the template thread did not run");
  std::promise<Result<UniqueFd>> idmap;
  bool idmap_given = false;
  std::thread builder_thread([&, made = idmap.get_future()]() mutable {
    TemplateBuilder builder(options, *base, std::move(made));
    ns = builder.Build();
  });
  SandboxView view;
  SideWork make_idmap = [&] {
    if (idmap_given) return;
    // The builder goes on as soon as the namespace is open, while its helper process ends.
    MakeUserNamespace(work.st_uid, options.host_uid, work.st_gid, options.host_gid,
                      [&](Result<UniqueFd> made) {
                        idmap.set_value(std::move(made));
                        idmap_given = true;
                      });
  };
  try {
    AddRunSteps(options, view.run_steps_);
    if (meanwhile) meanwhile(make_idmap);
    make_idmap();
  } catch (...) {  // std::thread and allocation may throw: never leave the builder unjoined
    if (!idmap_given) idmap.set_value(MakeError(ErrorCode::kInternal, "the view was abandoned"));
    builder_thread.join();
    rmdir(base->c_str());
    throw;
  }
  builder_thread.join();
  rmdir(base->c_str());
  if (!ns) return tl::unexpected(ns.error());

  view.namespace_ = std::move(*ns);
  view.upper_layer_ = options.upper_layer;
  view.work_owner_ = work.st_uid;
  view.work_group_ = work.st_gid;
  return view;
}

}  // namespace codeexec
