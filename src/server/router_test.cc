#include "server/router.h"

#include <gtest/gtest.h>

namespace codeexec::server {
namespace {

Router MakeRouter() {
  Router router;
  Handler nothing = [](Request, std::shared_ptr<Responder>) {};
  router.Add("GET", "/v1/sessions/{id}", nothing);
  router.Add("DELETE", "/v1/sessions/{id}", nothing);
  router.Add("GET", "/v1/sessions/{id}/files/{path...}", nothing);
  router.Add("POST", "/mcp", nothing);
  return router;
}

TEST(RouterTest, MatchesTemplatesAndFillsParameters) {
  Router router = MakeRouter();
  auto found = router.Find("GET", "/v1/sessions/abc/files/data/out.csv");
  auto* match = std::get_if<Router::Match>(&found);
  ASSERT_NE(match, nullptr);
  EXPECT_EQ(match->route, "/v1/sessions/{id}/files/{path...}");
  EXPECT_EQ(match->params.at("id"), "abc");
  EXPECT_EQ(match->params.at("path"), "data/out.csv");
}

TEST(RouterTest, TellsAMissingPathFromAWrongMethod) {
  Router router = MakeRouter();
  auto wrong = router.Find("PUT", "/v1/sessions/abc");
  ASSERT_TRUE(std::holds_alternative<Router::Miss>(wrong));
  EXPECT_EQ(std::get<Router::Miss>(wrong).status, 405);
  EXPECT_EQ(std::get<Router::Miss>(wrong).allowed, (std::vector<std::string>{"GET", "DELETE"}));
  for (const char* path : {"/v1/sessions", "/v1/sessions/", "/v1/sessions/abc/files/", "/mcp/x"}) {
    auto missing = router.Find("GET", path);
    ASSERT_TRUE(std::holds_alternative<Router::Miss>(missing)) << path;
    EXPECT_EQ(std::get<Router::Miss>(missing).status, 404) << path;
  }
}

TEST(RouterTest, ListsItsRoutes) {
  EXPECT_EQ(MakeRouter().Routes().front(), "DELETE /v1/sessions/{id}");
}

}  // namespace
}  // namespace codeexec::server
