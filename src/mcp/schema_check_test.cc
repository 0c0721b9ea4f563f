#include "mcp/schema_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::mcp {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const json kSchema = {{"type", "object"},
                      {"properties",
                       {{"language", {{"type", "string"}, {"minLength", 1}}},
                        {"timeout", {{"type", "number"}, {"minimum", 1}, {"maximum", 60}}},
                        {"encoding", {{"type", "string"}, {"enum", {"utf8", "base64"}}}}}},
                      {"required", {"language"}},
                      {"additionalProperties", false}};

TEST(SchemaCheckTest, AcceptsWhatFits) {
  EXPECT_EQ(CheckSchema(kSchema, {{"language", "python"}, {"timeout", 5}}), std::nullopt);
}

TEST(SchemaCheckTest, NamesTheMissingField) {
  EXPECT_THAT(CheckSchema(kSchema, json::object()).value(), HasSubstr("'language' is required"));
}

TEST(SchemaCheckTest, RefusesUnknownFieldsAndWrongTypes) {
  EXPECT_THAT(CheckSchema(kSchema, {{"language", "py"}, {"timeuot", 1}}).value(),
              HasSubstr("unknown argument 'timeuot'"));
  EXPECT_THAT(CheckSchema(kSchema, {{"language", 3}}).value(), HasSubstr("must be string"));
  EXPECT_THAT(CheckSchema(kSchema, json::array()).value(), HasSubstr("must be object"));
}

TEST(SchemaCheckTest, ChecksRangesLengthsAndEnums) {
  EXPECT_THAT(CheckSchema(kSchema, {{"language", "py"}, {"timeout", 0.5}}).value(),
              HasSubstr("at least 1"));
  EXPECT_THAT(CheckSchema(kSchema, {{"language", "py"}, {"timeout", 61}}).value(),
              HasSubstr("at most 60"));
  EXPECT_THAT(CheckSchema(kSchema, {{"language", ""}}).value(), HasSubstr("at least 1 char"));
  EXPECT_THAT(CheckSchema(kSchema, {{"language", "py"}, {"encoding", "hex"}}).value(),
              HasSubstr("one of"));
}

TEST(SchemaCheckTest, TwoPointZeroIsAnInteger) {
  EXPECT_EQ(CheckSchema({{"type", "integer"}}, 2.0), std::nullopt);
  EXPECT_NE(CheckSchema({{"type", "integer"}}, 2.5), std::nullopt);
}

}  // namespace
}  // namespace codeexec::mcp
