#include "jupyter/zmtp_codec.h"

#include <gtest/gtest.h>

namespace codeexec::jupyter::zmtp {
namespace {

using Status = FrameDecoder::Status;

// Feeds `bytes` one at a time, as a peer dribbling them would, and collects the frames.
std::vector<Frame> FeedBytewise(FrameDecoder& decoder, std::string_view bytes,
                                std::uint64_t max_body, Status* last = nullptr) {
  std::vector<Frame> frames;
  for (char c : bytes) {
    std::string_view one(&c, 1);
    Status status = decoder.Feed(one, max_body);
    if (last) *last = status;
    if (status == Status::kError) break;
    if (status == Status::kFrame) frames.push_back(decoder.frame());
  }
  return frames;
}

TEST(ZmtpCodecTest, GreetingAnnouncesVersion31AndTheNullMechanism) {
  std::string greeting = Greeting();
  ASSERT_EQ(greeting.size(), kGreetingSize);
  EXPECT_EQ(static_cast<unsigned char>(greeting[0]), 0xFF);
  EXPECT_EQ(greeting[9], '\x7F');
  EXPECT_EQ(greeting[10], 3);
  EXPECT_EQ(greeting[11], 1);
  EXPECT_EQ(greeting.substr(12, 20), std::string("NULL") + std::string(16, '\0'));
  EXPECT_EQ(greeting.substr(32), std::string(32, '\0'));  // as-server and filler
}

TEST(ZmtpCodecTest, GreetingCheckWaitsForAllBytesThenNegotiatesTheVersion) {
  std::string greeting = Greeting();
  for (std::size_t size = 0; size < kGreetingSize; ++size) {
    auto partial = CheckGreeting(std::string_view(greeting).substr(0, size));
    ASSERT_TRUE(partial.has_value()) << size;
    EXPECT_FALSE(partial->has_value()) << size;
  }
  EXPECT_EQ(CheckGreeting(greeting).value(), 1);
  greeting[11] = 0;  // a 3.0 peer
  EXPECT_EQ(CheckGreeting(greeting).value(), 0);
  greeting[10] = 4;  // a newer major version gets ours
  EXPECT_EQ(CheckGreeting(greeting).value(), 1);
}

TEST(ZmtpCodecTest, GreetingCheckRejectsAtTheFirstWrongByte) {
  EXPECT_FALSE(CheckGreeting("G").has_value());  // "GET / HTTP/1.1"
  std::string greeting = Greeting();
  std::string old = greeting.substr(0, 9) + '\x01';  // ZMTP 1.0 length-prefixed identity
  EXPECT_FALSE(CheckGreeting(old).has_value());
  std::string v2 = greeting.substr(0, 11);
  v2[10] = 1;
  EXPECT_FALSE(CheckGreeting(v2).has_value());
  std::string curve = greeting;
  curve.replace(12, 5, "CURVE");
  auto refused = CheckGreeting(curve.substr(0, 32));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("CURVE"), std::string::npos);
  std::string suffixed = greeting;
  suffixed[16] = 'X';  // "NULL" followed by more than zeros
  EXPECT_FALSE(CheckGreeting(suffixed).has_value());
}

TEST(ZmtpCodecTest, ShortAndLongFramesCarryMoreAndCommandFlags) {
  std::string out;
  AppendFrame(out, "abc", /*more=*/true);
  EXPECT_EQ(out, std::string("\x01\x03", 2) + "abc");
  out.clear();
  AppendFrame(out, std::string(255, 'x'), false);
  EXPECT_EQ(out.substr(0, 2), std::string("\x00\xFF", 2));
  out.clear();
  AppendFrame(out, std::string(256, 'x'), true);
  EXPECT_EQ(out.substr(0, 9), std::string("\x03\x00\x00\x00\x00\x00\x00\x01\x00", 9));
  EXPECT_EQ(out.size(), 9u + 256);
  out.clear();
  AppendCommand(out, "PING", std::string("\x00\x0A", 2) + "ctx");
  EXPECT_EQ(out, std::string("\x04\x0A\x04PING\x00\x0A", 9) + "ctx");
}

TEST(ZmtpCodecTest, WireSizeMatchesTheEncoding) {
  std::vector<std::string> frames = {"", std::string(255, 'a'), std::string(70000, 'b')};
  std::string out;
  AppendMessage(out, frames);
  EXPECT_EQ(WireSize(frames), out.size());
}

TEST(ZmtpCodecTest, ReadyNamesTheSocketTypeAndIdentity) {
  std::string ready = ReadyCommand(SocketType::kDealer, "id-1");
  FrameDecoder decoder;
  std::string_view input = ready;
  ASSERT_EQ(decoder.Feed(input, 0), Status::kFrame);
  ASSERT_TRUE(decoder.frame().command);
  auto command = ParseCommand(decoder.frame().body);
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->name, "READY");
  EXPECT_EQ(ReadySocketType(command->data).value(), "DEALER");
  EXPECT_NE(command->data.find(std::string("\x08Identity\x00\x00\x00\x04id-1", 17)),
            std::string_view::npos);
  // A SUB has no identity to announce.
  EXPECT_EQ(ReadyCommand(SocketType::kSub, "x").find("Identity"), std::string::npos);
}

TEST(ZmtpCodecTest, ReadyPropertiesAreCaseInsensitiveAndBounded) {
  std::string data = std::string("\x0Bsocket-type\x00\x00\x00\x06ROUTER", 22);
  EXPECT_EQ(ReadySocketType(data).value(), "ROUTER");
  std::string other = std::string("\x03X-a\x00\x00\x00\x01z", 9) + data;
  EXPECT_EQ(ReadySocketType(other).value(), "ROUTER");
  EXPECT_FALSE(ReadySocketType(std::string("\x0BSocket-Type\x00\x00\x00\x09PUB", 19)));
  EXPECT_FALSE(ReadySocketType(std::string("\x0BSocket-Type\xFF\xFF\xFF\xFF", 16)));
  EXPECT_FALSE(ReadySocketType(std::string("\x00", 1)));
  EXPECT_FALSE(ReadySocketType(std::string("\x03X-a\x00\x00\x00\x00", 8)));  // no type
  EXPECT_FALSE(ParseCommand(std::string("\x09PING", 5)));  // name longer than the body
  EXPECT_FALSE(ParseCommand(""));
}

TEST(ZmtpCodecTest, SocketTypesMatchTheSpecificationsTable) {
  EXPECT_TRUE(AcceptsPeer(SocketType::kDealer, "ROUTER"));
  EXPECT_TRUE(AcceptsPeer(SocketType::kSub, "XPUB"));
  EXPECT_TRUE(AcceptsPeer(SocketType::kReq, "REP"));
  EXPECT_FALSE(AcceptsPeer(SocketType::kSub, "ROUTER"));
  EXPECT_FALSE(AcceptsPeer(SocketType::kReq, "DEALER"));
  EXPECT_FALSE(AcceptsPeer(SocketType::kDealer, "PUB"));
}

TEST(ZmtpCodecTest, DecoderSplitsAStreamFedOneByteAtATime) {
  std::string stream;
  AppendMessage(stream, std::vector<std::string>{"", "short", std::string(300, 'L')});
  AppendCommand(stream, "PONG", "");
  FrameDecoder decoder;
  Status last = Status::kNeedMore;
  std::vector<Frame> frames = FeedBytewise(decoder, stream, 1000, &last);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].body, "");
  EXPECT_TRUE(frames[0].more);
  EXPECT_EQ(frames[1].body, "short");
  EXPECT_EQ(frames[2].body, std::string(300, 'L'));
  EXPECT_FALSE(frames[2].more);
  EXPECT_TRUE(frames[3].command);
  EXPECT_EQ(last, Status::kFrame);
}

TEST(ZmtpCodecTest, DecoderRefusesAnOversizedFrameBeforeItsBody) {
  FrameDecoder decoder;
  std::string header("\x02\x00\x00\x00\x00\x10\x00\x00\x00", 9);  // 256 MiB + change, no body
  std::string_view input = header;
  EXPECT_EQ(decoder.Feed(input, 1024), Status::kError);
  EXPECT_NE(decoder.error().find("268435456"), std::string::npos);
  decoder.Reset();
  std::string huge("\x02\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 9);  // 2^64 - 1
  input = huge;
  EXPECT_EQ(decoder.Feed(input, std::uint64_t{1} << 28), Status::kError);
  decoder.Reset();
  std::string command("\x06\x00\x00\x00\x00\x00\x01\x00\x01", 9);  // a 64 KiB + 1 command
  input = command;
  EXPECT_EQ(decoder.Feed(input, std::uint64_t{1} << 28), Status::kError);
}

TEST(ZmtpCodecTest, DecoderRefusesReservedFlagsAndCommandsWithMore) {
  for (char flags : {'\x08', '\x80', '\x05'}) {
    FrameDecoder decoder;
    std::string bytes{flags, '\x00'};
    std::string_view input = bytes;
    EXPECT_EQ(decoder.Feed(input, 100), Status::kError) << static_cast<int>(flags);
  }
}

TEST(ZmtpCodecTest, PrintableEscapesBytesAndCutsLongText) {
  EXPECT_EQ(Printable(std::string("ok\x00\xff", 4)), "ok\\x00\\xff");
  EXPECT_EQ(Printable(std::string(100, 'a')), std::string(64, 'a') + "...");
}

}  // namespace
}  // namespace codeexec::jupyter::zmtp
