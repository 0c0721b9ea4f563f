// The fixture of the Docker executor's integration tests: a real daemon and the locally built
// test image (scripts/build-test-image.sh; scripts/test.sh starts dockerd and builds it).
//
// Every container a test makes carries the label codeexec.test=<a value unique to the test>;
// after each test the fixture checks that none is left (and removes any it finds, failing the
// test), so "no container left behind" is asserted everywhere, not only where a test says so.
#ifndef CODEEXEC_TESTS_INTEGRATION_DOCKER_TEST_UTIL_H_
#define CODEEXEC_TESTS_INTEGRATION_DOCKER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/random.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "codeexec/docker_executor.h"
#include "command.h"
#include "docker/docker_client.h"
#include "docker/leftovers.h"
#include "testing/test_util.h"

namespace codeexec::testing {

// The image the tests run: $CODEEXEC_DOCKER_TEST_IMAGE, else codeexec/python:bookworm.
inline std::string DockerTestImage() {
  const char* image = getenv("CODEEXEC_DOCKER_TEST_IMAGE");
  return image != nullptr && *image != '\0' ? image : "codeexec/python:bookworm";
}

// The whole contents of a file ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A client for the default daemon, or why there is none.
inline Result<docker::DockerClient> DefaultDockerClient() {
  auto endpoint = docker::ResolveDockerEndpoint("");
  if (!endpoint) return tl::unexpected(endpoint.error());
  return docker::DockerClient::Connect(*endpoint);
}

class DockerTest : public ::testing::Test {
 protected:
  static constexpr char kTestLabel[] = "codeexec.test";

  void SetUp() override {
    auto client = DefaultDockerClient();
    std::string missing;
    if (!client) {
      missing = client.error().message();
    } else if (auto image = client->InspectImage(DockerTestImage()); !image) {
      missing = "the test image is missing (" + image.error().message() +
                "); build it with scripts/build-test-image.sh";
    }
    if (!missing.empty()) {
      if (InCi()) FAIL() << missing;
      GTEST_SKIP() << "needs a Docker daemon and the test image: " << missing;
    }
    client_ = std::move(*client);
    unsigned char bytes[8] = {};
    (void)getrandom(bytes, sizeof(bytes), 0);
    for (unsigned char byte : bytes) test_id_ += "0123456789abcdef"[byte % 16];
  }

  void TearDown() override {
    if (!client_) return;
    auto left = TestContainers();
    for (const auto& container : left) {
      ADD_FAILURE() << "container left behind: " << container.name << " (" << container.state
                    << ")";
      [[maybe_unused]] auto removed = client_->RemoveContainer(container.id, /*force=*/true);
    }
  }

  // The containers this test made that still exist.
  std::vector<docker::ContainerSummary> TestContainers() {
    auto listed = client_->ListContainers({std::string(kTestLabel) + "=" + test_id_});
    EXPECT_TRUE(listed) << listed.error().message();
    return listed ? *listed : std::vector<docker::ContainerSummary>{};
  }

  virtual DockerExecutorOptions Options() {
    DockerExecutorOptions options;
    options.image = DockerTestImage();
    options.work_dir = work_;
    options.labels[kTestLabel] = test_id_;
    return options;
  }

  DockerCommandLineCodeExecutor Make(DockerExecutorOptions options) {
    auto executor = DockerCommandLineCodeExecutor::Create(std::move(options));
    if (!executor) {
      ADD_FAILURE() << executor.error().ToString();
      throw std::runtime_error("cannot create the executor");
    }
    return std::move(*executor);
  }
  DockerCommandLineCodeExecutor Make() { return Make(Options()); }

  CodeResult Run(DockerCommandLineCodeExecutor& executor, std::vector<CodeBlock> blocks,
                 const CancellationToken& cancel = CancellationToken()) {
    auto result = executor.ExecuteCodeBlocks(blocks, cancel);
    EXPECT_TRUE(result) << result.error().ToString();
    return result ? *result : CodeResult{};
  }

  // The commands of the processes running in the executor's container ("sh", "sleep", ...),
  // read from /proc by a command that leaves itself out.
  std::vector<std::string> ContainerProcesses(const DockerCommandLineCodeExecutor& executor) {
    docker::ExecConfig config{
        {"/bin/sh", "-c",
         "for p in /proc/[0-9]*; do [ \"${p#/proc/}\" = $$ ] || cat $p/comm 2>/dev/null; done"},
        {},
        "/",
        ""};
    auto exec_id = client_->CreateExec(executor.container_id(), config);
    EXPECT_TRUE(exec_id) << exec_id.error().message();
    if (!exec_id) return {};
    std::string out;
    docker::StreamControl control;
    control.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto end =
        client_->StartExec(*exec_id, control, [&](OutputStream stream, std::string_view bytes) {
          if (stream == OutputStream::kStdout) out += bytes;
        });
    EXPECT_TRUE(end);
    std::vector<std::string> names;
    for (std::size_t at = 0; at < out.size();) {
      std::size_t end_of_line = out.find('\n', at);
      if (end_of_line == std::string::npos) end_of_line = out.size();
      names.push_back(out.substr(at, end_of_line - at));
      at = end_of_line + 1;
    }
    return names;
  }

  std::optional<docker::DockerClient> client_;
  std::string test_id_;
  TempDir temp_{"docker-test"};
  std::filesystem::path work_ = temp_.path();
};

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_INTEGRATION_DOCKER_TEST_UTIL_H_
