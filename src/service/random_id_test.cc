#include "service/random_id.h"

#include <gtest/gtest.h>

#include <set>

namespace codeexec::service {
namespace {

TEST(RandomIdTest, SessionIdsCarry128BitsAsHex) {
  auto id = RandomHex(kSessionIdBytes);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_TRUE(LooksLikeSessionId(*id));
}

TEST(RandomIdTest, IdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(*RandomHex(kSessionIdBytes));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomIdTest, OnlyTheIdShapeLooksLikeAnId) {
  EXPECT_FALSE(LooksLikeSessionId(""));
  EXPECT_FALSE(LooksLikeSessionId("../../etc/passwd"));
  EXPECT_FALSE(LooksLikeSessionId(std::string(32, 'G')));
  EXPECT_FALSE(LooksLikeSessionId(std::string(31, 'a')));
  EXPECT_TRUE(LooksLikeSessionId(std::string(32, 'a')));
}

}  // namespace
}  // namespace codeexec::service
