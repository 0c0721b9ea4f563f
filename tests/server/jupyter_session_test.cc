// Jupyter sessions of the real `codeexec serve`, end to end: a kernel in the sandbox (the server's
// default for `jupyter`) and one in a Docker container (--config '{"docker": ...}'). Each keeps
// its variables between calls, reaches none of the host's files and no network, and DELETE frees
// it: no kernel process, no container.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "../integration/docker_test_util.h"
#include "serve_harness.h"
#include "testing/test_util.h"

namespace codeexec::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The parameter: where the session's kernel runs ("sandbox" or "docker").
class JupyterSessionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string missing;
    if (!fs::exists("/usr/share/jupyter/kernels/python3/kernel.json") || geteuid() != 0) {
      missing = "needs root and python3-ipykernel";
    }
    // No ready executors (kernels kept for one-shot requests): every kernel is the session's.
    std::vector<std::string> args = {"--executor", "jupyter",     "--ready-executors",
                                     "0",          "--work-root", work_root_.path().string()};
    if (GetParam() == "docker") {
      auto client = DefaultDockerClient();
      if (!client) {
        missing = client.error().message();
      } else if (!client->InspectImage(DockerTestImage())) {
        missing = "the test image is missing: build it with scripts/build-test-image.sh";
      } else {
        docker_ = std::move(*client);
      }
      label_ = "serve-" + work_root_.path().filename().string();
      json config = {
          {"docker", {{"image", DockerTestImage()}, {"labels", {{"codeexec.test", label_}}}}}};
      args.insert(args.end(), {"--config", config.dump()});
    }
    if (!missing.empty()) {
      if (InCi()) FAIL() << missing;
      GTEST_SKIP() << missing;
    }
    server_.emplace(args);
  }

  void TearDown() override {
    server_.reset();
    if (docker_) {
      for (const auto& container : Containers()) {
        ADD_FAILURE() << "container left behind: " << container.name;
        [[maybe_unused]] auto removed = docker_->RemoveContainer(container.id, /*force=*/true);
      }
    }
  }

  std::vector<docker::ContainerSummary> Containers() {
    auto listed = docker_->ListContainers({"codeexec.test=" + label_});
    EXPECT_TRUE(listed) << listed.error().message();
    return listed ? *listed : std::vector<docker::ContainerSummary>{};
  }

  json Execute(HttpClient& client, const std::string& id, const std::string& code) {
    auto reply = client.Request("POST", "/v1/sessions/" + id + "/execute",
                                json{{"language", "python"}, {"code", code}}.dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.status == 200 ? json::parse(reply.body) : json::object();
  }

  TempDir temp_{"serve-jupyter"};
  TempDir work_root_{"serve-jupyter-root"};
  std::optional<ServeProcess> server_;
  std::optional<docker::DockerClient> docker_;
  std::string label_;
};

TEST_P(JupyterSessionTest, AKernelSessionKeepsStateAndReachesNothingOfTheHost) {
  fs::path secret = temp_.path() / "secret.txt";
  std::ofstream(secret) << "host secret";
  HttpClient client = server_->Client();
  auto created = client.Request("POST", "/v1/sessions", R"({"executor": "jupyter"})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = json::parse(created.body)["id"];
  EXPECT_EQ(Execute(client, id, "x = 41")["exit_code"], 0);
  EXPECT_EQ(Execute(client, id, "print(x + 1)")["output"], "42\n");
  json probe = Execute(client, id,
                       fmt::format("import os, socket\n"
                                   "print(os.path.exists('{}'))\n"
                                   "print(sorted(n for _, n in socket.if_nameindex()))\n"
                                   "_ = open('made.txt', 'w').write('kept')",
                                   secret.string()));
  EXPECT_EQ(probe["output"], "False\n['lo']\n");
  EXPECT_EQ(client.Request("GET", "/v1/sessions/" + id + "/files/made.txt").body, "kept");
  if (docker_) {
    EXPECT_EQ(Containers().size(), 1u);
  }
  EXPECT_EQ(client.Request("DELETE", "/v1/sessions/" + id).status, 204);
  // Nothing of the kernel remains: no process started with a kernel's private folder (a host
  // path in the sandbox, /workspace/... in a container), no container.
  EXPECT_TRUE(Eventually([&] { return ProcessesMentioning(".codeexec-kernel-").empty(); }));
  if (docker_) {
    EXPECT_TRUE(Eventually([&] { return Containers().empty(); }));
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, JupyterSessionTest, ::testing::Values("sandbox", "docker"),
                         [](const auto& kernel) { return kernel.param; });

}  // namespace
}  // namespace codeexec::testing
