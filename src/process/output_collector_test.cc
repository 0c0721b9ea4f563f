#include "process/output_collector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace codeexec {
namespace {

TEST(OutputCollector, KeepsStreamsInterleavedAndApart) {
  OutputCollector collector(100);
  collector.Append(OutputStream::kStdout, "a\n");
  collector.Append(OutputStream::kStderr, "b\n");
  collector.Append(OutputStream::kStdout, "c\n");
  collector.AppendNote("note");
  auto out = collector.Finish();
  EXPECT_EQ(out.output, "a\nb\nc\nnote");
  EXPECT_EQ(out.stdout_text, "a\nc\n");
  EXPECT_EQ(out.stderr_text, "b\n");
  EXPECT_FALSE(out.truncated);
}

TEST(OutputCollector, CutsAtTheLimitAndSaysHowMuchWasPrinted) {
  OutputCollector collector(10);
  collector.Append(OutputStream::kStdout, "0123456789abcdef");
  collector.Append(OutputStream::kStderr, "more");
  collector.AppendNote("\nTimeout");
  auto out = collector.Finish();
  EXPECT_TRUE(out.truncated);
  EXPECT_EQ(out.output,
            "0123456789\n[output truncated: 20 bytes printed, the first 10 kept]\n\nTimeout");
  EXPECT_EQ(out.stdout_text, "0123456789");
  EXPECT_EQ(out.stderr_text, "");
  EXPECT_EQ(collector.total_bytes(), 20u);
}

TEST(OutputCollector, DoesNotSplitACharacterAtTheLimit) {
  OutputCollector collector(4);
  collector.Append(OutputStream::kStdout, "abc\xE2\x82\xAC");  // "abc€"
  auto out = collector.Finish();
  EXPECT_EQ(out.stdout_text, "abc");
}

TEST(OutputCollector, JoinsACharacterSplitAcrossReads) {
  OutputCollector collector(100);
  collector.Append(OutputStream::kStdout, "x\xE2\x82");
  collector.Append(OutputStream::kStderr, "err");
  collector.Append(OutputStream::kStdout, "\xAC");
  auto out = collector.Finish();
  EXPECT_EQ(out.stdout_text, "x\xE2\x82\xAC");
  EXPECT_EQ(out.output, "xerr\xE2\x82\xAC");
}

TEST(OutputCollector, ReplacesInvalidBytes) {
  OutputCollector collector(100);
  collector.Append(OutputStream::kStdout,
                   "a\xFF"
                   "b");
  collector.Append(OutputStream::kStdout, "\xE2\x82");  // never completed
  auto out = collector.Finish();
  EXPECT_EQ(out.output,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(OutputCollector, MemoryStaysBoundedWhateverIsPrinted) {
  OutputCollector collector(1000);
  std::string chunk(65536, 'x');
  for (int i = 0; i < 200; ++i) collector.Append(OutputStream::kStdout, chunk);
  auto out = collector.Finish();
  EXPECT_EQ(out.stdout_text.size(), 1000u);
  EXPECT_LT(out.output.size(), 1100u);
  EXPECT_EQ(collector.total_bytes(), 200u * 65536u);
}

TEST(OutputCollector, TheSinkSeesExactlyWhatIsKeptAsItIsKept) {
  std::string seen, stdout_seen;
  std::vector<std::string> pieces;
  OutputCollector collector(12, [&](TextKind kind, std::string_view text) {
    seen.append(text);
    if (kind == TextKind::kStdout) stdout_seen.append(text);
    pieces.emplace_back(text);
  });
  collector.Append(OutputStream::kStdout, "a\xE2\x82");  // half a euro sign: held back
  EXPECT_EQ(seen, "a");
  collector.Append(OutputStream::kStderr, "\xFF!");  // invalid, repaired at once
  collector.Append(OutputStream::kStdout, "\xAC and much more than fits");
  collector.AppendNote("\nTimeout");
  auto out = collector.Finish();
  EXPECT_EQ(seen, out.output);
  EXPECT_EQ(stdout_seen, out.stdout_text);
  EXPECT_EQ(pieces[1], "\xEF\xBF\xBD!");
  EXPECT_EQ(pieces[2], "\xE2\x82\xAC and m");  // 12 bytes kept in all
  EXPECT_NE(out.output.find("[output truncated:"), std::string::npos);
  EXPECT_TRUE(out.output.ends_with("\nTimeout"));
}

TEST(OutputCollector, GivesEachBlockItsOwnOutput) {
  OutputCollector collector(100);
  collector.BeginBlock();
  collector.Append(OutputStream::kStdout, "one\n");
  collector.BeginBlock();
  collector.Append(OutputStream::kStderr, "two\n");
  collector.AppendNote("\nTimeout");
  auto out = collector.Finish();
  ASSERT_EQ(out.blocks.size(), 2u);
  EXPECT_EQ(out.blocks[0].output, "one\n");
  EXPECT_EQ(out.blocks[0].stdout_text, "one\n");
  EXPECT_EQ(out.blocks[1].output, "two\n\nTimeout");
  EXPECT_EQ(out.blocks[1].stderr_text, "two\n");
  EXPECT_EQ(out.output, "one\ntwo\n\nTimeout");
}

TEST(OutputCollector, ACharacterLeftIncompleteEndsItsBlockAsAReplacement) {
  std::string seen;
  OutputCollector collector(100, [&](TextKind, std::string_view text) { seen.append(text); });
  collector.BeginBlock();
  collector.Append(OutputStream::kStdout, "x\xE2\x82");
  collector.EndBlock();
  EXPECT_EQ(seen, "x\xEF\xBF\xBD");
}

}  // namespace
}  // namespace codeexec
