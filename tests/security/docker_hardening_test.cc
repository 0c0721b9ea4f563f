// The Docker executor against code that goes for the host through the work folder and the
// container's privileges (issue #10): device nodes, set-user-ID files, FIFOs and sockets left for
// the host, links swapped in under the executor, a tampered run log, capabilities, the `user`
// option and the work-folder limit.
//
// After every test the host is unchanged: a guarded folder beside the work folder (where links
// planted by code point) keeps its files, modes and contents; the work folder holds no device
// node, FIFO, socket, or set-user-ID or set-group-ID file; a few kernel settings and /dev/null
// are as they were; and no container or volume of the test is left. Every test also checks that
// a block's timeout is still honoured by the executor it attacked.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "docker/capabilities.h"
#include "docker_test_util.h"

namespace codeexec {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::ReadFile;

// A mode in octal, as ls and stat show it.
std::string Octal(mode_t mode) {
  std::ostringstream text;
  text << std::oct << mode;
  return text.str();
}

// Every entry under `root` (links not followed): its type, mode, owner, and a regular file's
// contents.
std::map<std::string, std::string> Describe(const fs::path& root) {
  std::map<std::string, std::string> described;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;
    std::string text =
        Octal(st.st_mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (S_ISREG(st.st_mode)) text += " " + ReadFile(it->path());
    described[it->path().lexically_relative(root).string()] = text;
  }
  return described;
}

// What in `folder` the host could trip over: device nodes, FIFOs, sockets, set-user-ID and
// set-group-ID files and folders, one line each.
std::vector<std::string> Hazards(const fs::path& folder) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;
    bool special =
        S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
    bool privileged = !S_ISLNK(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) != 0;
    if (special || privileged) found.push_back(it->path().string() + " " + Octal(st.st_mode));
  }
  return found;
}

// Kernel settings and device nodes a container's root could reach for.
std::string HostSettings() {
  struct stat null;
  stat("/dev/null", &null);
  return ReadFile("/proc/sys/kernel/hostname") + ReadFile("/proc/sys/kernel/core_pattern") +
         "/dev/null " + Octal(null.st_mode) + " " + std::to_string(major(null.st_rdev)) + ":" +
         std::to_string(minor(null.st_rdev));
}

// One bit of the kernel's capability set `field` ("CapEff") in /proc/self/status text.
bool HasCapability(const std::string& status, std::string_view field, std::string_view name) {
  std::size_t at = status.find(std::string(field) + ":");
  if (at == std::string::npos) return false;
  uint64_t set = std::stoull(status.substr(at + field.size() + 1), nullptr, 16);
  return (set >> docker::CapabilityNumber(name) & 1) != 0;
}

constexpr std::string_view kDropped[] = {"MKNOD",   "NET_RAW",         "SETFCAP",
                                         "SETPCAP", "AUDIT_WRITE",     "SYS_CHROOT",
                                         "FSETID",  "NET_BIND_SERVICE"};

class DockerHardeningTest : public testing::DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fs::create_directories(guarded_.path() / "sub");
    std::ofstream(guarded_.path() / "code.py") << "# the host's, not the code's\n";
    std::ofstream(guarded_.path() / "log.txt") << "a host file\n";
    std::ofstream(guarded_.path() / "sub" / "keep.txt") << "keep\n";
    guarded_before_ = Describe(guarded_.path());
    settings_before_ = HostSettings();
  }

  void TearDown() override {
    if (client_) {
      EXPECT_EQ(Describe(guarded_.path()), guarded_before_) << "a file outside the work folder";
      EXPECT_THAT(Hazards(work_), IsEmpty()) << "the work folder holds what the host trips over";
      EXPECT_EQ(HostSettings(), settings_before_);
      auto volumes = client_->ListVolumes({std::string(kTestLabel) + "=" + test_id_});
      EXPECT_TRUE(volumes) << volumes.error().message();
      if (volumes) {
        EXPECT_THAT(*volumes, IsEmpty()) << "a volume outlived its container";
      }
    }
    DockerTest::TearDown();
  }

  DockerExecutorOptions Options() override {
    auto options = DockerTest::Options();
    options.timeout = 3s;  // the reproducer
    return options;
  }

  // A block that would run for a minute ends at the executor's 3 s timeout, with its output.
  void ExpectTimeoutHonoured(DockerCommandLineCodeExecutor& executor) {
    auto result = Run(executor, {{"sh", "echo before; sleep 60; echo after"}});
    EXPECT_EQ(result.status, ExecutionStatus::kTimeout) << result.output;
    EXPECT_EQ(result.output, "before\n\nTimeout");
  }

  testing::TempDir guarded_{"docker-guarded"};
  std::map<std::string, std::string> guarded_before_;
  std::string settings_before_;
};

// How the executor under attack reaches the container: the work folder mounted or copied, blocks
// through the runner or the exec API.
struct Variant {
  const char* name;
  bool copied;
  bool runner;
};
void PrintTo(const Variant& variant, std::ostream* os) { *os << variant.name; }

// Tests that must hold whichever way the executor works.
class DockerHardeningVariantTest : public DockerHardeningTest,
                                   public ::testing::WithParamInterface<Variant> {
 protected:
  DockerExecutorOptions Options() override {
    auto options = DockerHardeningTest::Options();
    options.bind_work_dir = !GetParam().copied;
    options.use_runner = GetParam().runner;
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(Ways, DockerHardeningVariantTest,
                         ::testing::Values(Variant{"Mounted", false, true},
                                           Variant{"Copied", true, true},
                                           Variant{"MountedExecApi", false, false}),
                         [](const ::testing::TestParamInfo<Variant>& param) {
                           return std::string(param.param.name);
                         });

TEST_F(DockerHardeningTest, DeviceNodesCannotBeMadeInTheWorkFolder) {
  auto executor = Make();
  auto result = Run(executor, {{"sh",
                                "mknod char c 1 3 2>&1; echo char=$?; "
                                "mknod block b 8 0 2>&1; echo block=$?"}});
  EXPECT_THAT(result.output, HasSubstr("Operation not permitted"));
  EXPECT_THAT(result.output, HasSubstr("char=1\n"));
  EXPECT_THAT(result.output, HasSubstr("block=1\n"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work_ / "char")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work_ / "block")));
  ExpectTimeoutHonoured(executor);
}

TEST_P(DockerHardeningVariantTest, SetuidAndSetgidFilesLoseTheirBitsOnTheHost) {
  auto executor = Make();
  EXPECT_EQ(Run(executor, {{"sh", "echo first"}}).output, "first\n");  // not only the first
  auto result = Run(executor, {{"sh",
                                "cp /bin/sh suid && chmod 4755 suid && cp /bin/sh sgid && "
                                "chmod 2755 sgid && mkdir sgid-dir && chmod 2775 sgid-dir && "
                                "stat -c '%a %n' suid sgid sgid-dir"}});
  // The container's root could set the bits; the host never sees them.
  EXPECT_EQ(result.output, "4755 suid\n2755 sgid\n2775 sgid-dir\n");
  for (const char* name : {"suid", "sgid"}) {
    struct stat st;
    ASSERT_EQ(lstat((work_ / name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    EXPECT_EQ(st.st_mode & (S_ISUID | S_ISGID), 0u) << name;
  }
  ExpectTimeoutHonoured(executor);
}

TEST_P(DockerHardeningVariantTest, FifosAndSocketsLeftInTheWorkFolderAreGone) {
  auto executor = Make();
  EXPECT_EQ(Run(executor, {{"sh", "echo first"}}).output, "first\n");  // not only the first
  auto result = Run(executor, {{"sh",
                                "mkfifo fifo && python3 -c \"import socket; "
                                "socket.socket(socket.AF_UNIX).bind('sock')\" && "
                                "stat -c '%F %n' fifo sock"}});
  EXPECT_EQ(result.output, "fifo fifo\nsocket sock\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(work_ / "fifo")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work_ / "sock")));
  ExpectTimeoutHonoured(executor);
}

// The reproducer: the executor compared the next block's file with what stood under its
// name, a FIFO, and waited forever.
TEST_F(DockerHardeningTest, AFifoPlantedUnderTheNextBlocksFileNameDoesNotStallIt) {
  auto executor = Make();
  auto result = Run(executor, {{"sh", "mkfifo next.py && echo planted"},
                               {"python", "# filename: next.py\nprint('second ran')"}});
  EXPECT_EQ(result.status, ExecutionStatus::kOk) << result.output;
  EXPECT_EQ(result.output, "planted\nsecond ran\n");
  ExpectTimeoutHonoured(executor);
}

// A FIFO that appears on the host between blocks (left by anyone): the executor neither writes
// through it nor, copying the work folder, reads it.
TEST_P(DockerHardeningVariantTest, AFifoOnTheHostStallsNoCopyAndNoWrite) {
  auto executor = Make();
  ASSERT_EQ(mkfifo((work_ / "host.py").c_str(), 0644), 0);
  ASSERT_EQ(mkfifo((work_ / "data.fifo").c_str(), 0644), 0);
  auto result = Run(executor, {{"python", "# filename: host.py\nprint('ran')"},
                               {"sh", "test -e data.fifo && echo there || echo gone"}});
  EXPECT_EQ(result.status, ExecutionStatus::kOk) << result.output;
  // Copied, the FIFO never travels; mounted, the scrub after the first block removed it.
  EXPECT_EQ(result.output, "ran\ngone\n");
  struct stat st;
  ASSERT_EQ(lstat((work_ / "host.py").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  fs::remove(work_ / "data.fifo");  // the test's own, left on the host when copying
  ExpectTimeoutHonoured(executor);
}

TEST_F(DockerHardeningTest, CleanupThroughAFolderSwappedForALinkDeletesNothingOutside) {
  auto options = Options();
  options.cleanup_code_files = true;
  auto executor = Make(options);
  std::string swap =
      "# filename: sub/code.py\nimport os\nos.rename('sub', 'sub-moved')\nos.symlink('" +
      guarded_.path().string() + "', 'sub')\nprint('swapped')";
  auto result = Run(executor, {{"python", swap}});
  EXPECT_EQ(result.output, "swapped\n");
  EXPECT_TRUE(fs::is_symlink(work_ / "sub"));
  EXPECT_TRUE(fs::exists(guarded_.path() / "code.py"));  // and unchanged: see TearDown
  ExpectTimeoutHonoured(executor);
}

TEST_F(DockerHardeningTest, ARunLogReplacedByALinkIsReplacedAndTheHostFileUntouched) {
  auto executor = Make();
  std::string relink = "rm -f codeexec-runs.jsonl && ln -s " +
                       (guarded_.path() / "log.txt").string() +
                       " codeexec-runs.jsonl && echo linked";
  EXPECT_EQ(Run(executor, {{"sh", relink}}).output, "linked\n");
  auto later = Run(executor, {{"sh", "echo later"}});
  EXPECT_EQ(later.status, ExecutionStatus::kOk) << later.output;
  EXPECT_EQ(later.output, "later\n");
  struct stat st;
  ASSERT_EQ(lstat((work_ / "codeexec-runs.jsonl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_THAT(ReadFile(work_ / "codeexec-runs.jsonl"), HasSubstr("\"sh\""));
  ExpectTimeoutHonoured(executor);
}

TEST_P(DockerHardeningVariantTest, CodeGainsNoPrivilegesAndLacksTheDroppedCapabilities) {
  auto executor = Make();
  auto result = Run(executor, {{"sh", "grep -E '^(NoNewPrivs|CapEff|CapBnd)' /proc/self/status"}});
  EXPECT_THAT(result.output, HasSubstr("NoNewPrivs:\t1\n"));
  for (std::string_view dropped : kDropped) {
    EXPECT_FALSE(HasCapability(result.output, "CapEff", dropped)) << dropped;
    EXPECT_FALSE(HasCapability(result.output, "CapBnd", dropped)) << dropped;
  }
  for (std::string_view kept : docker::kKeptCapabilities) {
    EXPECT_TRUE(HasCapability(result.output, "CapEff", kept)) << kept;
  }
  EXPECT_FALSE(HasCapability(result.output, "CapEff", "SYS_ADMIN"));
  ExpectTimeoutHonoured(executor);
}

TEST_P(DockerHardeningVariantTest, CapAddGivesExactlyTheCapabilitiesNamed) {
  auto options = Options();
  options.cap_add = {"net_raw"};
  auto executor = Make(options);
  auto result = Run(executor, {{"sh", "grep -E '^CapEff' /proc/self/status"}});
  EXPECT_TRUE(HasCapability(result.output, "CapEff", "NET_RAW")) << result.output;
  EXPECT_FALSE(HasCapability(result.output, "CapEff", "MKNOD")) << result.output;
  ExpectTimeoutHonoured(executor);
}

TEST_P(DockerHardeningVariantTest, TheUserOptionRunsCodeAsThatUserWithoutCapabilities) {
  auto options = Options();
  options.user = "65534:65534";
  // A mounted work folder must be writable by that user (docs/docker.md).
  fs::permissions(work_, fs::perms::all);
  auto executor = Make(options);
  auto result = Run(executor, {{"sh",
                                "id -u; id -g; echo written > by-user.txt && cat by-user.txt; "
                                "grep -E '^(NoNewPrivs|CapEff)' /proc/self/status"}});
  EXPECT_THAT(result.output, ::testing::StartsWith("65534\n65534\nwritten\n"));
  EXPECT_THAT(result.output, HasSubstr("NoNewPrivs:\t1\n"));
  EXPECT_THAT(result.output, HasSubstr("CapEff:\t0000000000000000\n"));
  EXPECT_EQ(ReadFile(work_ / "by-user.txt"), "written\n");
  ExpectTimeoutHonoured(executor);
}

// The regular files under `folder` but the run log: how many, and their bytes.
std::pair<int, uintmax_t> FilesAndBytes(const fs::path& folder) {
  int files = 0;
  uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().filename() == "codeexec-runs.jsonl") continue;
    ++files;
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return {files, bytes};
}

TEST_F(DockerHardeningTest, TheWorkFolderSizeLimitGivesEnospcAndTheHostFolderStaysUnderIt) {
  auto options = Options();
  options.work_dir_size_limit = 1 << 20;
  auto executor = Make(options);
  // A file the code deletes is deleted on the host too: two files of 600 KiB one after the
  // other fit, there as here.
  auto write = [](const std::string& name) {
    return "open('" + name + "', 'wb').write(b'x' * 600 * 1024)\nprint('wrote " + name + "')";
  };
  EXPECT_EQ(Run(executor, {{"python", write("big")}}).output, "wrote big\n");
  auto second = Run(executor, {{"python", "import os\nos.remove('big')\n" + write("big2")}});
  EXPECT_EQ(second.output, "wrote big2\n");
  EXPECT_FALSE(fs::exists(work_ / "big"));
  EXPECT_LE(FilesAndBytes(work_).second, uintmax_t{1} << 20);
  // Written in pieces, so that the copy out finds as much as the limit let through.
  auto fill =
      Run(executor, {{"python",
                      "import errno\ntry:\n    with open('big3', 'wb') as f:\n"
                      "        for _ in range(64):\n"
                      "            f.write(b'x' * 65536)\n            f.flush()\n"
                      "except OSError as e:\n    print('full', errno.errorcode[e.errno])"}});
  EXPECT_EQ(fill.output, "full ENOSPC\n");
  EXPECT_GT(fs::file_size(work_ / "big3"), 0u);
  EXPECT_LE(FilesAndBytes(work_).second, uintmax_t{1} << 20);
  // No room is left for the next block's file: like a full disk, the block fails and says so.
  auto next = Run(executor, {{"sh", "echo no room"}});
  EXPECT_EQ(next.exit_code, 1);
  EXPECT_THAT(next.output, HasSubstr("do not fit in the container's /workspace"));
  // What it says to do works.
  fs::remove(work_ / "big3");
  ASSERT_TRUE(executor.Restart());
  EXPECT_EQ(Run(executor, {{"sh", "ls big2 && echo room"}}).output, "big2\nroom\n");
  ExpectTimeoutHonoured(executor);
}

TEST_F(DockerHardeningTest, TheWorkFolderFileLimitGivesEnospcAndTheHostFolderStaysUnderIt) {
  auto options = Options();
  options.work_dir_file_limit = 32;
  auto executor = Make(options);
  auto result = Run(executor, {{"sh",
                                "for i in $(seq 100); do touch f$i 2>/dev/null || break; done; "
                                "touch one-more"}});
  EXPECT_THAT(result.output, HasSubstr("No space left on device"));
  EXPECT_LE(FilesAndBytes(work_).first, 32);
  EXPECT_GE(FilesAndBytes(work_).first, 16);
  for (int i = 1; i <= 100; ++i) fs::remove(work_ / ("f" + std::to_string(i)));
  ASSERT_TRUE(executor.Restart());
  ExpectTimeoutHonoured(executor);
}

TEST_F(DockerHardeningTest, StopFromAnotherThreadCancelsTheRunningBlock) {
  auto options = Options();
  options.timeout = 60s;
  auto executor = Make(options);
  std::optional<Result<CodeResult>> result;
  std::thread running([&] {
    result = executor.ExecuteCodeBlocks({{"sh", "touch started; sleep 60"}});
  });
  for (int i = 0; i < 3000 && !fs::exists(work_ / "started"); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(executor.Stop());
  running.join();
  ASSERT_TRUE(result && *result) << (result ? result->error().ToString() : "no result");
  EXPECT_EQ((*result)->status, ExecutionStatus::kCancelled) << (*result)->output;
}

}  // namespace
}  // namespace codeexec
