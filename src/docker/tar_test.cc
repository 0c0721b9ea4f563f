#include "docker/tar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace codeexec::docker {
namespace {

struct Seen {
  TarEntry entry;
  std::string data;
};

// Parses `archive` fed in pieces of `piece` bytes.
std::vector<Seen> Parse(std::string_view archive, std::size_t piece) {
  std::vector<Seen> seen;
  int ends = 0;
  TarReader reader({[&](const TarEntry& entry) -> Result<void> {
                      seen.push_back({entry, ""});
                      return {};
                    },
                    [&](std::string_view bytes) -> Result<void> {
                      seen.back().data.append(bytes);
                      return {};
                    },
                    [&]() -> Result<void> {
                      ++ends;
                      return {};
                    }});
  for (std::size_t at = 0; at < archive.size(); at += piece) {
    auto fed = reader.Feed(archive.substr(at, piece));
    EXPECT_TRUE(fed) << fed.error().message();
  }
  EXPECT_TRUE(reader.AtEntryBoundary());
  EXPECT_EQ(ends, static_cast<int>(seen.size()));
  return seen;
}

TEST(TarTest, WhatTheWriterWritesTheReaderReadsBackInAnyPieces) {
  TarWriter writer;
  writer.AddDirectory("workspace", 0777, 1700000000);
  writer.AddFile("workspace/a.py", "print(1)\n", 0644, 1700000001);
  writer.AddFile("workspace/empty.txt", "", 0600, 1700000002);
  std::string big(1500, 'b');
  writer.AddFile("workspace/big.bin", big, 0755, 1700000003);
  std::string archive = writer.Finish();
  EXPECT_EQ(archive.size() % 512, 0u);
  for (std::size_t piece : {1u, 7u, 512u, 100000u}) {
    auto seen = Parse(archive, piece);
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0].entry.name, "workspace");
    EXPECT_EQ(seen[0].entry.type, TarEntry::Type::kDirectory);
    EXPECT_EQ(seen[0].entry.mode, 0777u);
    EXPECT_EQ(seen[1].entry.name, "workspace/a.py");
    EXPECT_EQ(seen[1].entry.type, TarEntry::Type::kFile);
    EXPECT_EQ(seen[1].entry.mtime, 1700000001);
    EXPECT_EQ(seen[1].data, "print(1)\n");
    EXPECT_EQ(seen[2].data, "");
    EXPECT_EQ(seen[3].entry.size, 1500u);
    EXPECT_EQ(seen[3].data, big);
    EXPECT_EQ(seen[3].entry.mode, 0755u);
  }
}

TEST(TarTest, LongNamesTravelInPaxHeaders) {
  std::string name = "workspace/" + std::string(150, 'n') + "/" + std::string(120, 'f') + ".txt";
  TarWriter writer;
  writer.AddFile(name, "long", 0644, 0);
  auto seen = Parse(writer.Finish(), 64);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].entry.name, name);
  EXPECT_EQ(seen[0].data, "long");
}

TEST(TarTest, ACorruptHeaderIsAnError) {
  TarWriter writer;
  writer.AddFile("a", "x", 0644, 0);
  std::string archive = writer.Finish();
  archive[10] = 'Z';
  TarReader reader({[](const TarEntry&) -> Result<void> { return {}; },
                    [](std::string_view) -> Result<void> { return {}; },
                    []() -> Result<void> { return {}; }});
  auto fed = reader.Feed(archive);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code(), ErrorCode::kInvalidArgument);
}

TEST(TarTest, ACallbackErrorEndsTheParse) {
  TarWriter writer;
  writer.AddFile("a", "x", 0644, 0);
  TarReader reader({[](const TarEntry&) -> Result<void> {
                      return MakeError(ErrorCode::kPermissionDenied, "refused");
                    },
                    [](std::string_view) -> Result<void> { return {}; },
                    []() -> Result<void> { return {}; }});
  auto fed = reader.Feed(writer.Finish());
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().message(), "refused");
}

}  // namespace
}  // namespace codeexec::docker
