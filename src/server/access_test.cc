#include "server/access.h"

#include <gtest/gtest.h>

#include "service/codec.h"

namespace codeexec::server {
namespace {

TEST(AccessTest, LoopbackHosts) {
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "127.9.8.7", "::1", "[::1]"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"", "example.com", "127.0.0.1.evil.com", "10.0.0.1", "0.0.0.0",
                           "localhost.evil.com", "::", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(AccessTest, HostHeadersAndOrigins) {
  EXPECT_EQ(HostOfHostHeader("127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(HostOfHostHeader("[::1]:8080"), "::1");
  EXPECT_EQ(HostOfHostHeader("LocalHost"), "localhost");
  EXPECT_EQ(HostOfHostHeader("::1:80"), "");
  EXPECT_EQ(HostOfOrigin("http://localhost:3000"), "localhost");
  EXPECT_EQ(HostOfOrigin("https://evil.com"), "evil.com");
  EXPECT_EQ(HostOfOrigin("http://127.0.0.1@evil.com"), "");
  EXPECT_EQ(HostOfOrigin("null"), "");
}

TEST(AccessTest, RefusesOtherHostsOnLoopbackListeners) {
  AccessGuard guard("t", true);
  EXPECT_FALSE(guard.CheckHostAndOrigin("127.0.0.1:8080", std::nullopt));
  EXPECT_FALSE(guard.CheckHostAndOrigin("localhost:8080", "http://localhost:3000"));
  EXPECT_TRUE(guard.CheckHostAndOrigin("rebind.evil.com:8080", std::nullopt));
  EXPECT_TRUE(guard.CheckHostAndOrigin(std::nullopt, std::nullopt));
  EXPECT_TRUE(guard.CheckHostAndOrigin("127.0.0.1:8080", "http://evil.com"));
  EXPECT_TRUE(guard.CheckHostAndOrigin("127.0.0.1:8080", "null"));
  AccessGuard public_guard("t", false);
  EXPECT_FALSE(public_guard.CheckHostAndOrigin("server.example.com", "https://app.example.com"));
}

TEST(AccessTest, AcceptsTheTokenAsBearerOrBasicPassword) {
  AccessGuard guard("s3cret", true);
  EXPECT_TRUE(guard.Authorized("Bearer s3cret"));
  EXPECT_TRUE(guard.Authorized("bearer s3cret"));
  EXPECT_TRUE(guard.Authorized("Basic " + service::EncodeBase64("codeexec:s3cret")));
  EXPECT_FALSE(guard.Authorized(std::nullopt));
  EXPECT_FALSE(guard.Authorized("Bearer s3cre"));
  EXPECT_FALSE(guard.Authorized("Bearer s3cret "));
  EXPECT_FALSE(guard.Authorized("s3cret"));
  EXPECT_FALSE(guard.Authorized("Basic " + service::EncodeBase64("s3cret")));
  EXPECT_TRUE(AccessGuard("", true).Authorized(std::nullopt));
}

}  // namespace
}  // namespace codeexec::server
