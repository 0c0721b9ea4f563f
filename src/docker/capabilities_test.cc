#include "docker/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CapabilitiesTest, NamesAreNormalizedToDockersForm) {
  auto names = NormalizeCapabilities({"net_raw", "CAP_SYS_PTRACE", "Mknod", "NET_RAW"});
  ASSERT_TRUE(names) << names.error().message();
  EXPECT_THAT(*names, ElementsAre("NET_RAW", "SYS_PTRACE", "MKNOD"));
}

TEST(CapabilitiesTest, UnknownNamesAndAllAreRefused) {
  auto unknown = NormalizeCapabilities({"NET_RAW", "FLY"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(unknown.error().message(), HasSubstr("'FLY' is not a Linux capability"));
  EXPECT_THAT(unknown.error().message(), HasSubstr("known: CHOWN, DAC_OVERRIDE"));
  auto all = NormalizeCapabilities({"all"});
  ASSERT_FALSE(all);
  EXPECT_THAT(all.error().message(), HasSubstr("name each one"));
}

TEST(CapabilitiesTest, NumbersAreTheKernels) {
  EXPECT_EQ(CapabilityNumber("CHOWN"), 0);
  EXPECT_EQ(CapabilityNumber("NET_RAW"), 13);
  EXPECT_EQ(CapabilityNumber("SYS_ADMIN"), 21);
  EXPECT_EQ(CapabilityNumber("MKNOD"), 27);
  EXPECT_EQ(CapabilityNumber("CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityNumber("CAP_CHOWN"), -1);
  for (std::string_view kept : kKeptCapabilities) EXPECT_GE(CapabilityNumber(kept), 0) << kept;
}

}  // namespace
}  // namespace codeexec::docker
