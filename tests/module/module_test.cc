// codeexec linked into a shared module and loaded at run time (tests/module/CMakeLists.txt): the
// way the Python extension is loaded. This test program does not link codeexec.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

namespace {

TEST(SharedModuleTest, AModuleLinkingCodeexecRunsABlockOnceLoaded) {
  void* module = dlopen(CODEEXEC_TEST_MODULE, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(module, nullptr) << dlerror();
  using Reply = const char* (*)(const char*);
  auto reply = reinterpret_cast<Reply>(dlsym(module, "codeexec_test_module_reply"));
  ASSERT_NE(reply, nullptr) << dlerror();

  EXPECT_EQ(std::string(reply("```python\nprint(6 * 7)\n```\n")),
            "exitcode: 0 (execution succeeded)\nCode output: 42\n");
}

}  // namespace
