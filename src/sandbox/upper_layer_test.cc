#include "sandbox/upper_layer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "testing/test_util.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;

// A layer laid out as the overlay leaves it (layer/upper/...), applied to a host folder.
class UpperLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(upper());
    fs::create_directories(host());
    fs::create_directories(outside());
    std::ofstream(outside() / "secret") << "host secret";
    auto folder = ConfinedFolder::Open(host());
    ASSERT_TRUE(folder);
    host_folder_ = std::move(*folder);
  }
  fs::path upper() const { return root_.path() / "layer/upper"; }
  fs::path host() const { return root_.path() / "host"; }
  fs::path outside() const { return root_.path() / "outside"; }

  Result<LayerReport> Apply(uid_t owner = 1234, gid_t group = 5678, LayerBudget budget = {}) {
    UniqueFd layer(open((root_.path() / "layer").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return ApplyUpperLayer(layer.get(), host_folder_, owner, group, budget);
  }
  void Whiteout(const fs::path& path) {
    ASSERT_EQ(mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)), 0) << "needs root";
  }

  testing::TempDir root_{"layer"};
  ConfinedFolder host_folder_;
};

TEST_F(UpperLayerTest, NewFilesArriveWithTheOwnerAndWithoutSetuidOrSetgid) {
  fs::create_directories(upper() / "out/deep");
  std::ofstream(upper() / "out/deep/result.txt") << "42";
  ASSERT_EQ(chmod((upper() / "out/deep/result.txt").c_str(), 06755), 0);
  auto report = Apply();
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(testing::ReadWholeFile(host() / "out/deep/result.txt"), "42");
  struct stat st;
  ASSERT_EQ(stat((host() / "out/deep/result.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(report->bytes_added, 2);
  EXPECT_EQ(report->entries_added, 3);  // out, deep, result.txt
  EXPECT_FALSE(report->full);
}

TEST_F(UpperLayerTest, ChangedFilesReplaceTheHostsAndCountOnlyTheirGrowth) {
  std::ofstream(host() / "data.csv") << "a,b\n";
  std::ofstream(upper() / "data.csv") << "a,b\n1,2\n";
  auto report = Apply();
  ASSERT_TRUE(report);
  EXPECT_EQ(testing::ReadWholeFile(host() / "data.csv"), "a,b\n1,2\n");
  EXPECT_EQ(report->bytes_added, 4);
  EXPECT_EQ(report->entries_added, 0);
}

TEST_F(UpperLayerTest, WhiteoutsDeleteAndOpaqueFoldersReplace) {
  std::ofstream(host() / "gone.txt") << "12345";
  fs::create_directories(host() / "dir/old");
  std::ofstream(host() / "dir/old/file") << "x";
  std::ofstream(host() / "dir/kept") << "x";
  Whiteout(upper() / "gone.txt");
  fs::create_directories(upper() / "dir");
  ASSERT_EQ(setxattr((upper() / "dir").c_str(), "user.overlay.opaque", "y", 1, 0), 0);
  std::ofstream(upper() / "dir/new") << "n";
  auto report = Apply();
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_FALSE(fs::exists(host() / "gone.txt"));
  EXPECT_FALSE(fs::exists(host() / "dir/old"));
  EXPECT_FALSE(fs::exists(host() / "dir/kept"));
  EXPECT_EQ(testing::ReadWholeFile(host() / "dir/new"), "n");
}

TEST_F(UpperLayerTest, LinksArriveAsLinksAndAreNeverFollowed) {
  // A link the code made to a host file, and a host folder the code replaced by a link.
  fs::create_symlink(outside() / "secret", upper() / "link");
  fs::create_directories(host() / "sub");
  fs::create_symlink(outside(), upper() / "sub");
  auto report = Apply();
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(fs::is_symlink(host() / "link"));
  EXPECT_EQ(fs::read_symlink(host() / "link"), outside() / "secret");
  EXPECT_TRUE(fs::is_symlink(host() / "sub"));
  EXPECT_EQ(testing::ReadWholeFile(outside() / "secret"), "host secret");
}

TEST_F(UpperLayerTest, AHostLinkWhereTheLayerHasAFolderIsReplacedNotFollowed) {
  fs::create_directories(upper() / "sub");
  std::ofstream(upper() / "sub/file") << "x";
  fs::create_symlink(outside(), host() / "sub");
  auto report = Apply();
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_FALSE(fs::is_symlink(host() / "sub"));
  EXPECT_EQ(testing::ReadWholeFile(host() / "sub/file"), "x");
  EXPECT_FALSE(fs::exists(outside() / "file"));
}

TEST_F(UpperLayerTest, SpecialFilesAreNotCarriedOver) {
  ASSERT_EQ(mkfifo((upper() / "pipe").c_str(), 0644), 0);
  std::ofstream(host() / "replaced") << "old";
  ASSERT_EQ(mkfifo((upper() / "replaced").c_str(), 0644), 0);
  auto report = Apply();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->skipped, 2);
  EXPECT_FALSE(fs::exists(fs::symlink_status(host() / "pipe")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(host() / "replaced")));
}

TEST_F(UpperLayerTest, NewEntriesPastTheBudgetAreDroppedAfterDeletionsGaveRoomBack) {
  std::ofstream(host() / "old1") << "x";
  std::ofstream(host() / "old2") << "x";
  Whiteout(upper() / "old1");
  Whiteout(upper() / "old2");
  for (const char* name : {"a", "b", "c"}) std::ofstream(upper() / name) << "y";
  auto report = Apply(0, 0, LayerBudget{.bytes = 100, .entries = 0});
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->dropped, 1);  // two deletions made room for two of the three
  EXPECT_EQ(report->entries_added, 0);
  int kept = 0;
  for (const char* name : {"a", "b", "c"}) kept += fs::exists(host() / name);
  EXPECT_EQ(kept, 2);
  EXPECT_FALSE(fs::exists(host() / "old1"));
}

TEST(WorkFolderAllowance, ShrinksWithGrowthAndNeverReachesZeroSize) {
  WorkFolderAllowance allowance(1 << 20, 10);
  EXPECT_EQ(allowance.LayerOptions(), "mode=0755,size=1048576,nr_inodes=18");
  allowance.Record({.bytes_added = (1 << 20) - 100, .entries_added = 10});
  EXPECT_EQ(allowance.LayerOptions(), "mode=0755,size=4096,nr_inodes=18");
  EXPECT_EQ(allowance.Budget().bytes, 100);
  EXPECT_EQ(allowance.Budget().entries, 0);
  allowance.Record({.bytes_added = -(1 << 19), .entries_added = -5});
  EXPECT_EQ(allowance.LayerOptions(), "mode=0755,size=524388,nr_inodes=18");
  EXPECT_EQ(allowance.Budget().entries, 5);
  EXPECT_EQ(allowance.Describe(), "1 MiB and 10 files");
  EXPECT_EQ(WorkFolderAllowance(0, 0).LayerOptions(), "mode=0755,size=0,nr_inodes=0");
}

}  // namespace
}  // namespace codeexec
