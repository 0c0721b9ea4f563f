// The OpenAPI document and the server's routes describe the same API.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server/api.h"
#include "server/piston.h"

namespace codeexec::server {
namespace {

// The router's templates in OpenAPI's spelling: "{path...}" is "{path}".
std::set<std::string> RouterOperations(const Router& router) {
  std::set<std::string> out;
  for (std::string route : router.Routes()) {
    auto rest = route.find("{path...}");
    if (rest != std::string::npos) route.replace(rest, 9, "{path}");
    out.insert(route);
  }
  return out;
}

std::set<std::string> DocumentOperations(const nlohmann::json& document) {
  std::set<std::string> out;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const char* method : {"get", "post", "put", "delete", "patch"}) {
      if (!item.contains(method)) continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      out.insert(upper + " " + path);
    }
  }
  return out;
}

TEST(OpenApiTest, DocumentIsOpenApi31Json) {
  auto document = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(document["openapi"], "3.1.0");
  EXPECT_TRUE(document["components"]["securitySchemes"].contains("bearer"));
}

TEST(OpenApiTest, DocumentsExactlyTheServersRoutes) {
  auto options = service::ServiceOptions{};
  options.check_default_executor = false;
  options.ready_executors = 0;
  options.policy.default_executor = "local";
  options.policy.allow_unisolated = true;
  auto service = service::Service::Create(options);
  ASSERT_TRUE(service) << service.error().message();
  service::WorkQueue control({1, 1, "control"});
  Router router;
  AddNativeApi(router, **service, control);
  AddPistonApi(router, **service, control);
  EXPECT_EQ(DocumentOperations(nlohmann::json::parse(OpenApiDocument())), RouterOperations(router));
  (*service)->Shutdown(std::chrono::milliseconds(0));
}

TEST(OpenApiTest, OnlyHealthIsPublic) {
  auto document = nlohmann::json::parse(OpenApiDocument());
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (!operation.is_object() || !operation.contains("responses")) continue;
      bool is_public = operation.contains("security") && operation["security"].empty();
      EXPECT_EQ(is_public, path == "/v1/health") << method << " " << path;
    }
  }
}

}  // namespace
}  // namespace codeexec::server
