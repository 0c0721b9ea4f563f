#include "mcp/json_rpc.h"

#include <gtest/gtest.h>

namespace codeexec::mcp {
namespace {

using nlohmann::json;

TEST(JsonRpcTest, ParsesARequestWithItsIdAndParams) {
  auto message = ParseMessage(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->kind, Message::Kind::kRequest);
  EXPECT_EQ(message->id, 7);
  EXPECT_EQ(message->method, "tools/list");
}

TEST(JsonRpcTest, AMessageWithoutIdIsANotification) {
  auto message = ParseMessage(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->kind, Message::Kind::kNotification);
  EXPECT_TRUE(message->params.is_object());
}

TEST(JsonRpcTest, TextThatIsNotJsonIsAParseError) {
  auto message = ParseMessage("{\"jsonrpc\":\"2.0\",");
  ASSERT_FALSE(message);
  EXPECT_EQ(message.error().error.code, kParseError);
  EXPECT_TRUE(message.error().id.is_null());
}

TEST(JsonRpcTest, JsonThatIsNotAMessageIsAnInvalidRequestKeepingItsId) {
  auto no_version = ParseMessage(R"({"id":"a","method":"ping"})");
  ASSERT_FALSE(no_version);
  EXPECT_EQ(no_version.error().error.code, kInvalidRequest);
  EXPECT_EQ(no_version.error().id, "a");
  EXPECT_EQ(ParseMessage(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])").error().error.code,
            kInvalidRequest);
  EXPECT_EQ(ParseMessage(R"({"jsonrpc":"2.0","id":null,"method":"ping"})").error().error.code,
            kInvalidRequest);
  EXPECT_EQ(
      ParseMessage(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})").error().error.code,
      kInvalidRequest);
}

TEST(JsonRpcTest, ResponsesAreRecognisedAndIgnorable) {
  auto message = ParseMessage(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->kind, Message::Kind::kResponse);
}

TEST(JsonRpcTest, SerializesOnOneLineEvenWithNewlinesAndBadUtf8) {
  std::string line = Serialize(ResultResponse(1, {{"text", "a\nb\xff"}}));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_TRUE(json::parse(line).is_object());
}

TEST(JsonRpcTest, IdKeysKeepNumbersAndStringsApart) { EXPECT_NE(IdKey(1), IdKey("1")); }

}  // namespace
}  // namespace codeexec::mcp
