// The sandbox against code that tries to reach or change the host as root would: its ids, the
// kernel's settings, device nodes, the work folder (setuid programs, special files, ownership,
// its limit). Every test asserts the host is unchanged afterwards (host_snapshot.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "codeexec/sandbox_executor.h"
#include "command.h"
#include "host_snapshot.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class SandboxHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (testing::InCi()) FAIL() << "the sandbox tests need root, and CI runs as root";
      GTEST_SKIP() << "the sandbox needs root (cgroups, id maps)";
    }
    fs::create_directories(work());
    guard_.emplace(root_.path() / "beside");
  }
  void TearDown() override {
    if (guard_) {
      EXPECT_EQ(guard_->Changes(), "") << "the host changed";
    }
  }

  fs::path work() const { return root_.path() / "work"; }

  SandboxExecutor Make(SandboxExecutorOptions options = {}) {
    options.work_dir = work();
    options.timeout = std::chrono::seconds(10);
    auto executor = SandboxExecutor::Create(std::move(options));
    EXPECT_TRUE(executor) << executor.error().ToString();
    if (!executor) std::abort();
    return std::move(*executor);
  }
  static CodeResult Run(SandboxExecutor& executor, const std::string& script) {
    auto result = executor.ExecuteCodeBlocks({{"sh", script}});
    EXPECT_TRUE(result) << result.error().ToString();
    return result ? *result : CodeResult{};
  }
  static mode_t Mode(const fs::path& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
  }

  // A fresh, empty work folder and an executor for it, with the work folder's limit (the
  // default) or without.
  SandboxExecutor MakeAfresh(bool limited) {
    fs::remove_all(work());
    fs::create_directories(work());
    SandboxExecutorOptions options;
    if (!limited) options.limits.work_dir_bytes = options.limits.work_dir_files = 0;
    return Make(options);
  }

  testing::TempDir root_{"hardening"};
  std::optional<testing::GuardedHost> guard_;
};

TEST_F(SandboxHardeningTest, TheSandboxesRootIsAnUnprivilegedIdOnTheHost) {
  auto executor = Make();
  auto result = Run(executor, "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -G");
  EXPECT_THAT(result.output, HasSubstr("0 2147352576          1"));
  EXPECT_THAT(result.output, Not(HasSubstr("         0          0")));
  EXPECT_THAT(result.output, HasSubstr("\n0\n0\n"));  // root inside, no other group
}

TEST_F(SandboxHardeningTest, KernelSettingsCannotBeWritten) {
  auto executor = Make();
  auto result = Run(executor,
                    "for f in /proc/sys/fs/lease-break-time /proc/sys/kernel/core_pattern "
                    "/proc/sys/kernel/hostname /proc/sys/vm/overcommit_memory "
                    "/proc/sysrq-trigger; do\n"
                    "  (echo 1 > $f) 2>/dev/null && echo \"wrote $f\"\ndone\n"
                    "cat /proc/kcore 2>/dev/null | head -c 1 | wc -c\n"
                    "echo done");
  EXPECT_EQ(result.output, "0\ndone\n");
}

TEST_F(SandboxHardeningTest, DeviceNodesWorkButCannotBeChanged) {
  auto executor = Make();
  auto result = Run(executor,
                    "chmod 000 /dev/null 2>/dev/null && echo chmod\n"
                    "chown 1:1 /dev/urandom 2>/dev/null && echo chown\n"
                    "touch /dev/planted 2>/dev/null && echo touch\n"
                    "rm -f /dev/zero 2>/dev/null; test -e /dev/zero || echo removed\n"
                    "mknod /dev/sda b 8 0 2>/dev/null && echo mknod\n"
                    "echo discarded > /dev/null && head -c 8 /dev/urandom | wc -c");
  EXPECT_EQ(result.output, "8\n");
}

TEST_F(SandboxHardeningTest, SetuidAndSetgidNeverReachTheHost) {
  for (bool limited : {true, false}) {
    SCOPED_TRACE(limited ? "with the work folder's limit" : "without");
    auto executor = MakeAfresh(limited);
    auto result = Run(executor,
                      "cp /bin/true tool && chmod 6755 tool && mkdir shared && chmod 2775 shared "
                      "&& ls -l tool | cut -c1-10");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(Mode(work() / "tool") & 07777, 0755u);
    EXPECT_EQ(Mode(work() / "shared") & 07777, 0775u);
    struct stat st;
    ASSERT_EQ(stat((work() / "tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u) << "the work folder's owner";
  }
}

TEST_F(SandboxHardeningTest, SpecialFilesNeverReachTheHost) {
  for (bool limited : {true, false}) {
    SCOPED_TRACE(limited ? "with the work folder's limit" : "without");
    auto executor = MakeAfresh(limited);
    auto result = executor.ExecuteCodeBlocks(
        {{"python",
          "import os, socket\n"
          "s = socket.socket(socket.AF_UNIX)\ns.bind('sock')\n"
          "try:\n    os.mkfifo('fifo')\nexcept OSError as e:\n    print('mkfifo', e.errno)\n"
          "print(sorted(os.listdir('.')))"}});
    ASSERT_TRUE(result);
    EXPECT_THAT(result->output, HasSubstr("mkfifo 1\n"));
    EXPECT_THAT(result->output, HasSubstr("'sock'"));
    EXPECT_FALSE(fs::exists(fs::symlink_status(work() / "sock")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(work() / "fifo")));
  }
}

TEST_F(SandboxHardeningTest, FilesCodeWritesBelongToTheWorkFoldersOwner) {
  ASSERT_EQ(chown(work().c_str(), 1000, 1000), 0);
  std::ofstream(work() / "given.txt") << "given";
  ASSERT_EQ(chown((work() / "given.txt").c_str(), 1000, 1000), 0);
  auto executor = Make();
  auto result = Run(executor,
                    "stat -c %u given.txt; echo more >> given.txt; mkdir -p out/x && "
                    "echo 1 > out/x/new.txt; ln -s new.txt out/x/link");
  EXPECT_EQ(result.output, "0\n") << "the owner on disk is the sandbox's root";
  for (const char* name : {"given.txt", "out", "out/x", "out/x/new.txt", "out/x/link"}) {
    struct stat st;
    ASSERT_EQ(lstat((work() / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, 1000u) << name;
    EXPECT_EQ(st.st_gid, 1000u) << name;
  }
}

TEST_F(SandboxHardeningTest, DeletionsAndRenamesReachTheHost) {
  std::ofstream(work() / "old.txt") << "old";
  fs::create_directories(work() / "olddir/inner");
  std::ofstream(work() / "olddir/inner/f") << "f";
  auto executor = Make();
  auto result = Run(executor, "rm old.txt && mv olddir newdir && mkdir d && mv d d2 && echo ok");
  EXPECT_EQ(result.output, "ok\n");
  EXPECT_FALSE(fs::exists(work() / "old.txt"));
  EXPECT_FALSE(fs::exists(work() / "olddir"));
  EXPECT_TRUE(fs::exists(work() / "newdir/inner/f"));
  EXPECT_TRUE(fs::is_directory(work() / "d2"));
}

TEST_F(SandboxHardeningTest, TheWorkFolderLimitStopsWritesAndSaysSo) {
  SandboxExecutorOptions options;
  options.limits.work_dir_bytes = 1 << 20;
  options.limits.work_dir_files = 50;
  auto executor = Make(options);
  auto result = Run(executor, "dd if=/dev/zero of=big bs=64k count=64 2>&1 | grep -c 'No space'");
  EXPECT_THAT(result.output, HasSubstr("1\n"));
  EXPECT_THAT(result.output, HasSubstr("The work folder's limit was reached"));
  EXPECT_LE(fs::file_size(work() / "big"), 1u << 20);
  result = Run(executor, "for i in $(seq 100); do touch f$i 2>/dev/null || break; done; echo $i");
  int made_by_code = 0;  // big and f1, f2, ...
  for (auto& entry : fs::directory_iterator(work())) {
    std::string name = entry.path().filename().string();
    if (name == "big" || (name[0] == 'f' && name.size() <= 4)) ++made_by_code;
  }
  EXPECT_GE(made_by_code, 40);
  EXPECT_LE(made_by_code, 50 + 3) << "the overlay's own slack, at most";
  // Deleting gives the room back, to the blocks that follow.
  result = Run(executor, "rm -f big f* && echo deleted");
  EXPECT_EQ(result.stdout_text, "deleted\n");
  result = Run(executor, "dd if=/dev/zero of=again bs=64k count=8 2>/dev/null; wc -c < again");
  EXPECT_EQ(result.stdout_text, "524288\n");
}

// A read-only path under /tmp is bound again by every run, from the view's /tmp kept open for
// the purpose: the code gets no descriptor of it, and can neither uncover, remount, write nor
// re-mode the path, in either way of showing the work folder.
TEST_F(SandboxHardeningTest, ReadOnlyPathsUnderTmpLeaveNothingToReachOrChange) {
  fs::path shared = root_.path() / "shared";
  fs::create_directories(shared);
  std::ofstream(shared / "data.txt") << "host\n";
  mode_t folder_mode = Mode(shared), file_mode = Mode(shared / "data.txt");
  std::string at = shared.string();
  for (bool limited : {true, false}) {
    SCOPED_TRACE(limited ? "with the work folder's limit" : "without");
    fs::remove_all(work());
    fs::create_directories(work());
    SandboxExecutorOptions options;
    if (!limited) options.limits.work_dir_bytes = options.limits.work_dir_files = 0;
    options.read_only_paths = {shared};
    auto executor = Make(options);
    auto result =
        Run(executor, "p='" + at +
                          "'\n"
                          "ls /proc/self/fd | wc -l\n"
                          "umount \"$p\" 2>/dev/null || echo no umount\n"
                          "mount -o remount,rw \"$p\" 2>/dev/null || echo no remount\n"
                          "(echo x > \"$p/data.txt\") 2>/dev/null || echo no write\n"
                          "chmod 777 \"$p\" \"$p/data.txt\" 2>/dev/null || echo no chmod\n"
                          "ln -s /etc \"$p/link\" 2>/dev/null || echo no link\n"
                          "mkfifo \"$p/fifo\" 2>/dev/null || echo no fifo\n"
                          "cat \"$p/data.txt\"");
    // ls's own descriptors: 0, 1, 2 and the folder it lists.
    EXPECT_EQ(result.output,
              "4\nno umount\nno remount\nno write\nno chmod\nno link\nno fifo\nhost\n");
  }
  EXPECT_EQ(testing::ReadWholeFile(shared / "data.txt"), "host\n");
  EXPECT_EQ(Mode(shared), folder_mode);
  EXPECT_EQ(Mode(shared / "data.txt"), file_mode);
  EXPECT_FALSE(fs::exists(fs::symlink_status(shared / "link")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(shared / "fifo")));
}

TEST_F(SandboxHardeningTest, TheWorkFoldersLayersAreOutOfReach) {
  auto executor = Make();
  auto result = Run(executor, "ls -A /dev/shm; ls /proc/self/fd | wc -l; ls -A / | tr '\\n' ' '");
  // ls's own descriptors: 0, 1, 2 and the folder it lists.
  EXPECT_EQ(result.output, "4\nbin dev etc lib lib32 lib64 proc sbin tmp usr ");
}

}  // namespace
}  // namespace codeexec
