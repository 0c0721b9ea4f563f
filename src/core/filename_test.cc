#include "core/filename.h"

#include <gtest/gtest.h>

namespace codeexec {
namespace {

std::optional<std::string> Name(std::string_view code) {
  return RequestedFileName(code, LanguageTable::Default());
}

TEST(RequestedFileName, AcceptsEveryCommentFormWithFilenameKey) {
  EXPECT_EQ(Name("# filename: test.py\nprint(1)"), "test.py");
  EXPECT_EQ(Name("// filename: test.js\nx"), "test.js");
  EXPECT_EQ(Name("/* filename: test.css */\nbody{}"), "test.css");
  EXPECT_EQ(Name("<!-- filename: test.html -->\n<p>"), "test.html");
  EXPECT_EQ(Name("  # Filename: sub/dir/x.py  \r\nprint(1)"), "sub/dir/x.py");
}

TEST(RequestedFileName, AcceptsBareFormsThatLookLikeFileNames) {
  EXPECT_EQ(Name("# test.py\nprint(1)"), "test.py");
  EXPECT_EQ(Name("// test.js\n"), "test.js");
  EXPECT_EQ(Name("/* test.css */\n"), "test.css");
  EXPECT_EQ(Name("<!-- test.html -->"), "test.html");
  EXPECT_EQ(Name("# data/out.csv\n"), "data/out.csv");
}

TEST(RequestedFileName, IgnoresOrdinaryComments) {
  EXPECT_EQ(Name("# Calculate the sum\nprint(1)"), std::nullopt);
  EXPECT_EQ(Name("# numpy.random\n"), std::nullopt);  // not a known extension
  EXPECT_EQ(Name("# v1.2\n"), std::nullopt);
  EXPECT_EQ(Name("# e.g.\n"), std::nullopt);
  EXPECT_EQ(Name("#!/bin/bash\necho"), std::nullopt);
  EXPECT_EQ(Name("#filename: x.py\n"), std::nullopt);
  EXPECT_EQ(Name("print(1)  # filename: x.py"), std::nullopt);
  EXPECT_EQ(Name("# filename:\nprint(1)"), std::nullopt);
  EXPECT_EQ(Name("\n# filename: second_line.py"), std::nullopt);
}

TEST(DefaultFileName, IsStableAndDependsOnTheCode) {
  EXPECT_EQ(DefaultFileName("print(1)", "py"), DefaultFileName("print(1)", "py"));
  EXPECT_NE(DefaultFileName("print(1)", "py"), DefaultFileName("print(2)", "py"));
  std::string name = DefaultFileName("x", "sh");
  EXPECT_TRUE(name.starts_with("tmp_code_"));
  EXPECT_TRUE(name.ends_with(".sh"));
  EXPECT_EQ(name.size(), std::string("tmp_code_.sh").size() + 16);
}

}  // namespace
}  // namespace codeexec
