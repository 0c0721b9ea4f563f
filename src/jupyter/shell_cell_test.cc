#include "jupyter/shell_cell.h"

#include <gtest/gtest.h>

namespace codeexec::jupyter {
namespace {

TEST(IsIPythonEscapeBlock, ShellEscapesAndLineMagicsAreIPythonCode) {
  EXPECT_TRUE(IsIPythonEscapeBlock("!echo \"hello world!\""));  // AutoGen's bash test
  EXPECT_TRUE(IsIPythonEscapeBlock("!pip install numpy\n!ls"));
  EXPECT_TRUE(IsIPythonEscapeBlock("!!ls"));
  EXPECT_TRUE(IsIPythonEscapeBlock("%cd data\n!ls\n%pip install pandas"));
  EXPECT_TRUE(IsIPythonEscapeBlock("! pip install numpy"));
}

TEST(IsIPythonEscapeBlock, BlankLinesCommentsIndentationAndCrlfDoNotCount) {
  EXPECT_TRUE(IsIPythonEscapeBlock("\n# install what we need\n  !pip install numpy\n\n!ls\n"));
  EXPECT_TRUE(IsIPythonEscapeBlock("!pip install numpy\r\n!ls\r\n"));
  EXPECT_TRUE(IsIPythonEscapeBlock("\t%env X=1"));
}

TEST(IsIPythonEscapeBlock, ACellMagicOnTheFirstLineTakesTheWholeCell) {
  EXPECT_TRUE(IsIPythonEscapeBlock("%%bash\nfor i in 1 2; do echo $i; done"));
  EXPECT_TRUE(IsIPythonEscapeBlock("\n%%writefile notes.txt\nanything at all"));
  EXPECT_FALSE(IsIPythonEscapeBlock("!ls\n%%bash\necho x"));
  EXPECT_FALSE(IsIPythonEscapeBlock("# a comment first\n%%bash\necho x"));
}

TEST(IsIPythonEscapeBlock, BackslashContinuationsBelongToTheirEscape) {
  EXPECT_TRUE(IsIPythonEscapeBlock("!pip install \\\n    numpy \\\n    pandas\n!ls"));
  EXPECT_FALSE(IsIPythonEscapeBlock("!pip install \\\n    numpy\nls"));
  // A comment's backslash continues nothing.
  EXPECT_FALSE(IsIPythonEscapeBlock("!ls\n# see below \\\necho x"));
}

TEST(IsIPythonEscapeBlock, AnyOtherLineMakesAShellScript) {
  EXPECT_FALSE(IsIPythonEscapeBlock("echo hello"));
  EXPECT_FALSE(IsIPythonEscapeBlock("pip install numpy"));
  EXPECT_FALSE(IsIPythonEscapeBlock("!pip install numpy\npython -c 'import numpy'"));
  EXPECT_FALSE(IsIPythonEscapeBlock("cd /tmp\n!ls"));
}

TEST(IsIPythonEscapeBlock, NoEscapeAtAllOrAShebangIsAScript) {
  EXPECT_FALSE(IsIPythonEscapeBlock(""));
  EXPECT_FALSE(IsIPythonEscapeBlock("\n  \n"));
  EXPECT_FALSE(IsIPythonEscapeBlock("# just a comment"));
  EXPECT_FALSE(IsIPythonEscapeBlock("#!/bin/bash\n!ls"));
}

TEST(CellForShellBlock, EscapesRunAsWrittenWithPipQuieted) {
  ShellCell cell = CellForShellBlock("!pip install numpy\n!ls", "bash");
  EXPECT_FALSE(cell.script);
  EXPECT_EQ(cell.code, "!pip install -qqq numpy\n!ls");
}

TEST(CellForShellBlock, ScriptsRunThroughTheCellMagicWithPipQuieted) {
  ShellCell bash = CellForShellBlock("pip install numpy\necho done", "bash");
  EXPECT_TRUE(bash.script);
  EXPECT_EQ(bash.code, "%%bash\npip install -qqq numpy\necho done");
  ShellCell sh = CellForShellBlock("echo $HOME", "sh");
  EXPECT_TRUE(sh.script);
  EXPECT_EQ(sh.code, "%%sh\necho $HOME");
}

}  // namespace
}  // namespace codeexec::jupyter
