#include "service/codec.h"

#include <gtest/gtest.h>

namespace codeexec::service {
namespace {

TEST(CodecTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(bytes)), bytes) << i;
    bytes.push_back(static_cast<char>(i * 37));
  }
}

TEST(CodecTest, Base64MatchesTheRfcVectors) {
  EXPECT_EQ(EncodeBase64("foob"), "Zm9vYg==");
  EXPECT_EQ(EncodeBase64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(DecodeBase64("Zm9vYmE="), "fooba");
}

TEST(CodecTest, Base64RefusesWhatIsNotCanonical) {
  EXPECT_FALSE(DecodeBase64("Zm9"));       // length
  EXPECT_FALSE(DecodeBase64("Zm9v!mFy"));  // alphabet
  EXPECT_FALSE(DecodeBase64("Zg==Zm9v"));  // padding in the middle
  EXPECT_FALSE(DecodeBase64("Z==="));
}

TEST(CodecTest, HexDecodesBothCases) {
  EXPECT_EQ(DecodeHex("48656C6c6f"), "Hello");
  EXPECT_FALSE(DecodeHex("486"));
  EXPECT_FALSE(DecodeHex("4g"));
}

}  // namespace
}  // namespace codeexec::service
