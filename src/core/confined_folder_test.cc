#include "core/confined_folder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "core/filename.h"
#include "testing/test_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;

class ConfinedFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(work());
    fs::create_directories(outside());
    std::ofstream(outside() / "secret") << "host secret";
    auto opened = ConfinedFolder::Open(work());
    ASSERT_TRUE(opened) << opened.error().ToString();
    folder_ = std::move(*opened);
  }
  fs::path work() const { return root_.path() / "work"; }
  fs::path outside() const { return root_.path() / "outside"; }

  testing::TempDir root_{"confined"};
  ConfinedFolder folder_;
};

TEST_F(ConfinedFolderTest, RelativeNormalisesNamesAndRefusesEscapes) {
  EXPECT_EQ(*folder_.Relative("a/./b/../c.py"), "a/c.py");
  EXPECT_EQ(*folder_.Relative((work() / "sub/x.py").string()), "sub/x.py");
  for (const std::string& bad :
       std::vector<std::string>{"", "..", "../x.py", "a/../../x.py", ".", "/etc/passwd",
                                (outside() / "x.py").string(), std::string("a\0b", 3)}) {
    auto relative = folder_.Relative(bad);
    ASSERT_FALSE(relative) << bad;
    EXPECT_EQ(relative.error().message(), kNotInWorkspace);
  }
}

TEST_F(ConfinedFolderTest, WriteFileCreatesParentsAndReplacesALinkInsteadOfFollowingIt) {
  fs::create_symlink(outside() / "secret", work() / "code.py");
  ASSERT_TRUE(folder_.WriteFile("code.py", "print(1)"));
  EXPECT_FALSE(fs::is_symlink(work() / "code.py"));
  EXPECT_EQ(testing::ReadWholeFile(work() / "code.py"), "print(1)");
  EXPECT_EQ(testing::ReadWholeFile(outside() / "secret"), "host secret");
  ASSERT_TRUE(folder_.WriteFile("deep/er/x.sh", "echo"));
  EXPECT_EQ(testing::ReadWholeFile(work() / "deep/er/x.sh"), "echo");
}

TEST_F(ConfinedFolderTest, AFolderSwappedForALinkIsNeverWrittenThrough) {
  fs::create_symlink(outside(), work() / "sub");
  auto written = folder_.WriteFile("sub/x.py", "pwned");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(outside() / "x.py"));
  EXPECT_FALSE(folder_.ReadFile("sub/secret", 100));
  EXPECT_FALSE(folder_.Holds("sub/secret", "host secret"));
}

TEST_F(ConfinedFolderTest, AFifoIsNeitherWaitedForNorReadNorWritten) {
  ASSERT_EQ(mkfifo((work() / "pipe").c_str(), 0644), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(folder_.Holds("pipe", ""));
  auto read = folder_.ReadFile("pipe", 100);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_TRUE(folder_.WriteFile("pipe", "x"));  // replaced by a regular file
  EXPECT_TRUE(fs::is_regular_file(work() / "pipe"));
}

TEST_F(ConfinedFolderTest, ReadFileIsCappedAndSaysWhatIsMissing) {
  ASSERT_TRUE(folder_.WriteFile("big", std::string(100, 'x')));
  auto capped = folder_.ReadFile("big", 10);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(*folder_.ReadFile("big", 100), std::string(100, 'x'));
  auto missing = folder_.ReadFile("nothing", 10);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(ConfinedFolderTest, OpenForAppendReplacesALinkAFifoOrAFolder) {
  for (int kind = 0; kind < 3; ++kind) {
    SCOPED_TRACE(kind);
    fs::path log = work() / "run.log";
    std::error_code ignored;
    fs::remove_all(log, ignored);
    if (kind == 0) fs::create_symlink(outside() / "secret", log);
    if (kind == 1) {
      ASSERT_EQ(mkfifo(log.c_str(), 0644), 0);
    }
    if (kind == 2) fs::create_directories(log / "inside");
    auto fd = folder_.OpenForAppend("run.log");
    ASSERT_TRUE(fd) << fd.error().ToString();
    ASSERT_EQ(write(fd->get(), "line\n", 5), 5);
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(log)));
    EXPECT_EQ(testing::ReadWholeFile(log), "line\n");
  }
  EXPECT_EQ(testing::ReadWholeFile(outside() / "secret"), "host secret");
}

TEST_F(ConfinedFolderTest, RemoveTakesTheLinkNotWhatItPointsTo) {
  fs::create_symlink(outside(), work() / "sub");
  ASSERT_TRUE(folder_.Remove("sub"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work() / "sub")));
  EXPECT_EQ(testing::ReadWholeFile(outside() / "secret"), "host secret");
  EXPECT_TRUE(folder_.Remove("never-was"));
}

TEST_F(ConfinedFolderTest, RemoveEmptiesDeepTreesAndFoldersWithoutPermissions) {
  fs::path deep = work() / "tree";
  fs::path at = deep;
  for (int i = 0; i < 300; ++i) at /= "d";  // deeper than the descriptors kept open
  fs::create_directories(at);
  std::ofstream(at / "leaf") << "x";
  fs::create_directories(deep / "locked/inner");
  std::ofstream(deep / "locked/inner/f") << "x";
  fs::create_symlink(outside(), deep / "locked/link");
  fs::permissions(deep / "locked/inner", fs::perms::none);
  fs::permissions(deep / "locked", fs::perms::none);
  ASSERT_TRUE(folder_.Remove("tree"));
  EXPECT_FALSE(fs::exists(deep));
  EXPECT_EQ(testing::ReadWholeFile(outside() / "secret"), "host secret");
}

TEST_F(ConfinedFolderTest, ScrubRemovesSpecialFilesAndStripsSetuidAndSetgid) {
  fs::create_directories(work() / "sub");
  ASSERT_EQ(mkfifo((work() / "sub/pipe").c_str(), 0644), 0);
  std::ofstream(work() / "sub/tool") << "#!/bin/sh\n";
  ASSERT_EQ(chmod((work() / "sub/tool").c_str(), 06755), 0);
  ASSERT_EQ(chmod((work() / "sub").c_str(), 02755), 0);
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string socket_path = (work() / "sock").string();
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  close(sock);
  fs::create_symlink(outside() / "secret", work() / "link");
  ASSERT_EQ(chmod((outside() / "secret").c_str(), 04644), 0);

  auto report = ScrubSpecialFiles(folder_);
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->removed, 2);
  EXPECT_EQ(report->stripped, 2);
  EXPECT_FALSE(fs::exists(fs::symlink_status(work() / "sub/pipe")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work() / "sock")));
  struct stat st;
  ASSERT_EQ(stat((work() / "sub/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(stat((work() / "sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_TRUE(fs::is_symlink(work() / "link"));  // links stay, never followed
  ASSERT_EQ(stat((outside() / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04644u);
}

TEST_F(ConfinedFolderTest, ListGivesKindsAndSizesSortedByName) {
  ASSERT_TRUE(folder_.WriteFile("b.txt", "12345"));
  fs::create_directories(work() / "a");
  fs::create_symlink("b.txt", work() / "c");
  auto entries = folder_.List("");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].name, "a");
  EXPECT_EQ((*entries)[0].kind, FileKind::kFolder);
  EXPECT_EQ((*entries)[1].name, "b.txt");
  EXPECT_EQ((*entries)[1].size, 5u);
  EXPECT_EQ((*entries)[2].kind, FileKind::kLink);
  EXPECT_FALSE(folder_.List("b.txt"));
  EXPECT_EQ(*folder_.KindOf("c"), FileKind::kLink);
  EXPECT_EQ(*folder_.KindOf("a"), FileKind::kFolder);
  EXPECT_EQ(*folder_.KindOf("a/nothing"), FileKind::kMissing);
  EXPECT_FALSE(folder_.KindOf("c/x"));  // through the link
}

TEST_F(ConfinedFolderTest, ListingsAndScrubsSeeEverythingEveryTime) {
  ASSERT_TRUE(folder_.WriteFile("a", "1"));
  EXPECT_EQ(folder_.List("")->size(), 1u);
  EXPECT_EQ(folder_.List("")->size(), 1u);
  ASSERT_TRUE(ScrubSpecialFiles(folder_));
  ASSERT_EQ(chmod((work() / "a").c_str(), 04755), 0);
  auto report = ScrubSpecialFiles(folder_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->stripped, 1);
}

}  // namespace
}  // namespace codeexec
