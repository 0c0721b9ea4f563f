#include "docker/docker_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

namespace codeexec::docker {
namespace {

using ::testing::HasSubstr;

class DockerEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* saved = getenv("DOCKER_HOST");
    if (saved != nullptr) saved_ = saved;
    unsetenv("DOCKER_HOST");
  }
  void TearDown() override {
    if (saved_) {
      setenv("DOCKER_HOST", saved_->c_str(), 1);
    } else {
      unsetenv("DOCKER_HOST");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(DockerEndpointTest, DefaultsToTheStandardSocket) {
  auto endpoint = ResolveDockerEndpoint("");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->socket_path, "/var/run/docker.sock");
  EXPECT_EQ(endpoint->address, "unix:///var/run/docker.sock");
  EXPECT_FALSE(endpoint->from_environment);
}

TEST_F(DockerEndpointTest, ReadsDockerHost) {
  setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock", 1);
  auto endpoint = ResolveDockerEndpoint("");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->socket_path, "/run/user/1000/docker.sock");
  EXPECT_TRUE(endpoint->from_environment);
}

TEST_F(DockerEndpointTest, TheOptionWinsOverDockerHost) {
  setenv("DOCKER_HOST", "unix:///elsewhere.sock", 1);
  auto endpoint = ResolveDockerEndpoint("/tmp/docker.sock");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->socket_path, "/tmp/docker.sock");
  EXPECT_EQ(endpoint->address, "unix:///tmp/docker.sock");
}

TEST_F(DockerEndpointTest, ReadsATcpAddressWithItsDefaultPort) {
  setenv("DOCKER_HOST", "tcp://10.0.0.1", 1);
  auto endpoint = ResolveDockerEndpoint("");
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_FALSE(endpoint->is_unix());
  EXPECT_EQ(endpoint->host, "10.0.0.1");
  EXPECT_EQ(endpoint->port, "2375");
  EXPECT_EQ(endpoint->address, "tcp://10.0.0.1");
}

TEST_F(DockerEndpointTest, ReadsATcpAddressWithPortAndIpv6) {
  auto endpoint = ResolveDockerEndpoint("tcp://[::1]:12375/");
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_EQ(endpoint->host, "::1");
  EXPECT_EQ(endpoint->port, "12375");
  EXPECT_TRUE(ResolveDockerEndpoint("tcp://docker.example:2375"));
}

TEST_F(DockerEndpointTest, MalformedAndTlsAddressesAreRefusedClearly) {
  setenv("DOCKER_HOST", "ssh://me@10.0.0.1", 1);
  auto ssh = ResolveDockerEndpoint("");
  ASSERT_FALSE(ssh);
  EXPECT_EQ(ssh.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(ssh.error().message(), HasSubstr("ssh://me@10.0.0.1 (from DOCKER_HOST)"));
  EXPECT_FALSE(ResolveDockerEndpoint("tcp://host:port"));
  EXPECT_FALSE(ResolveDockerEndpoint("tcp://"));
  setenv("DOCKER_TLS_VERIFY", "1", 1);
  auto tls = ResolveDockerEndpoint("tcp://10.0.0.1:2376");
  unsetenv("DOCKER_TLS_VERIFY");
  ASSERT_FALSE(tls);
  EXPECT_THAT(tls.error().message(), HasSubstr("plain TCP only"));
}

TEST(UnreachableMessageTest, SaysWhereItLookedAndWhatToDo) {
  DockerEndpoint endpoint{"unix:///nowhere.sock", "/nowhere.sock", true, "", ""};
  std::string message =
      UnreachableMessage(endpoint, Error(ErrorCode::kUnavailable, "No such file or directory"));
  EXPECT_THAT(message, HasSubstr("not reachable at unix:///nowhere.sock (from DOCKER_HOST)"));
  EXPECT_THAT(message, HasSubstr("dockerd"));
  EXPECT_THAT(message, HasSubstr("--executor local"));
}

}  // namespace
}  // namespace codeexec::docker
