#include "sandbox/seccomp_filter.h"

#include <gtest/gtest.h>

#include <cstring>

#include "sandbox/seccomp_policy.h"

namespace codeexec {
namespace {

TEST(SeccompFilter, BuildsANonEmptyProgram) {
  auto filter = SeccompFilter::Build();
  ASSERT_TRUE(filter) << filter.error().ToString();
  EXPECT_GT(filter->size(), 50u);  // an arch check plus a rule per denied call
  EXPECT_EQ(filter->program()->len, filter->size());
  SeccompFilter moved = std::move(*filter);
  EXPECT_EQ(moved.program()->len, moved.size());
  EXPECT_NE(moved.program()->filter, nullptr);
}

// The embedded program is what libseccomp compiles from the policy today: a stale or truncated
// embedding would enforce another policy than the one in the source.
TEST(SeccompFilter, EmbedsTheCompiledPolicy) {
  auto filter = SeccompFilter::Build();
  ASSERT_TRUE(filter) << filter.error().ToString();
  auto compiled = CompileSeccompPolicy();
  ASSERT_TRUE(compiled) << compiled.error().ToString();
  ASSERT_EQ(filter->size(), compiled->size());
  EXPECT_EQ(std::memcmp(filter->program()->filter, compiled->data(),
                        compiled->size() * sizeof(sock_filter)),
            0);
}

}  // namespace
}  // namespace codeexec
