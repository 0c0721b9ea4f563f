#include "service/files.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/work_folder.h"

namespace codeexec::service {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = *MakeTempFolder("files-test");
    folder_ = *ConfinedFolder::Open(path_);
  }
  void TearDown() override { fs::remove_all(path_); }

  fs::path path_;
  ConfinedFolder folder_;
};

TEST_F(FilesTest, PlacesFilesWithTheirFolders) {
  ASSERT_TRUE(PlaceFiles(folder_, {{"data/in.csv", "a,b\n"}, {"main.py", "print(1)"}}, {}));
  std::ifstream in(path_ / "data/in.csv");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "a,b\n");
}

TEST_F(FilesTest, RefusesPathsOutsideTheFolder) {
  for (const char* path : {"../escape.txt", "/etc/passwd", "a/../../x", ""}) {
    auto refused = PlaceFiles(folder_, {{path, "x"}}, {});
    ASSERT_FALSE(refused) << path;
    EXPECT_EQ(refused.error().kind, ServiceErrorKind::kBadRequest) << path;
  }
  EXPECT_FALSE(fs::exists(path_.parent_path() / "escape.txt"));
}

TEST_F(FilesTest, NeverFollowsALinkPlantedInTheFolder) {
  fs::path outside = *MakeTempFolder("files-test-outside");
  fs::create_directory_symlink(outside, path_ / "link");
  EXPECT_FALSE(PlaceFiles(folder_, {{"link/planted.txt", "x"}}, {}));
  EXPECT_FALSE(fs::exists(outside / "planted.txt"));
  std::ofstream(outside / "secret.txt") << "secret";
  fs::create_symlink(outside / "secret.txt", path_ / "secret.txt");
  auto read = ReadFolderFile(folder_, "secret.txt", 1 << 20);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ServiceErrorKind::kBadRequest);
  fs::remove_all(outside);
}

TEST_F(FilesTest, AFifoDoesNotStallAReader) {
  ASSERT_EQ(mkfifo((path_ / "pipe").c_str(), 0644), 0);
  auto read = ReadFolderFile(folder_, "pipe", 1 << 20);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ServiceErrorKind::kBadRequest);
}

TEST_F(FilesTest, KeepsTheFolderWithinItsLimits) {
  FolderLimits limits{100, 3};
  ASSERT_TRUE(PlaceFiles(folder_, {{"a", std::string(60, 'a')}}, limits));
  auto too_big = PlaceFiles(folder_, {{"b", std::string(41, 'b')}}, limits);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, ServiceErrorKind::kTooLarge);
  EXPECT_FALSE(fs::exists(path_ / "b"));
  ASSERT_TRUE(PlaceFiles(folder_, {{"b", "b"}, {"c", "c"}}, limits));
  EXPECT_FALSE(PlaceFiles(folder_, {{"d", "d"}}, limits));
}

TEST_F(FilesTest, FetchesWhatItCanAndSaysWhyNotForTheRest) {
  ASSERT_TRUE(PlaceFiles(folder_, {{"small", "12345"}, {"big", std::string(100, 'x')}}, {}));
  auto fetched = FetchFiles(folder_, {"small", "missing", "big"}, 50, 1000);
  ASSERT_TRUE(fetched);
  ASSERT_EQ(fetched->size(), 3u);
  EXPECT_EQ((*fetched)[0].bytes, "12345");
  EXPECT_THAT((*fetched)[1].error, HasSubstr("no file"));
  EXPECT_THAT((*fetched)[2].error, HasSubstr("larger than"));
  auto total = FetchFiles(folder_, {"small", "small"}, 50, 8);
  ASSERT_TRUE(total);
  EXPECT_TRUE((*total)[0].bytes);
  EXPECT_THAT((*total)[1].error, HasSubstr("together"));
}

TEST_F(FilesTest, ListsEverythingDepthFirst) {
  ASSERT_TRUE(PlaceFiles(folder_, {{"b/c.txt", "ccc"}, {"a.txt", "a"}}, {}));
  fs::create_symlink("/etc", path_ / "z-link");
  auto listed = ListFolder(folder_, "", 100);
  ASSERT_TRUE(listed);
  const auto& entries = (*listed)["entries"];
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0]["path"], "a.txt");
  EXPECT_EQ(entries[1]["path"], "b");
  EXPECT_EQ(entries[1]["type"], "folder");
  EXPECT_EQ(entries[2]["path"], "b/c.txt");
  EXPECT_EQ(entries[2]["size"], 3);
  EXPECT_EQ(entries[3]["type"], "link");
  auto sub = ListFolder(folder_, "b", 100);
  ASSERT_TRUE(sub);
  EXPECT_EQ((*sub)["entries"].size(), 1u);
  auto capped = ListFolder(folder_, "", 2);
  EXPECT_EQ((*capped)["truncated"], true);
  EXPECT_FALSE(ListFolder(folder_, "z-link", 100));
  EXPECT_FALSE(ListFolder(folder_, "../", 100));
}

TEST_F(FilesTest, FindsTheFilesModifiedSinceATime) {
  ASSERT_TRUE(PlaceFiles(folder_, {{"old.png", "x"}, {"sub/old.txt", "y"}}, {}));
  struct timespec past[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (path_ / "old.png").c_str(), past, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (path_ / "sub/old.txt").c_str(), past, 0), 0);
  ASSERT_TRUE(PlaceFiles(folder_, {{"sub/new.png", "z"}}, {}));
  auto changed = FilesModifiedSince(folder_, int64_t{2000} * 1000000000, 100);
  ASSERT_TRUE(changed);
  EXPECT_THAT(*changed, ::testing::ElementsAre("sub/new.png"));
}

TEST_F(FilesTest, StopsLookingForModifiedFilesAfterItsLimit) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(PlaceFiles(folder_, {{"f" + std::to_string(i), "x"}}, {}));
  }
  auto changed = FilesModifiedSince(folder_, 0, 5);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->size(), 5u);
}

}  // namespace
}  // namespace codeexec::service
