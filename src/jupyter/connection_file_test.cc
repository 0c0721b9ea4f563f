#include "jupyter/connection_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "testing/test_util.h"

namespace codeexec::jupyter {
namespace {

TEST(ConnectionFileTest, NewConnectionHasFiveDistinctPortsAndAKey) {
  auto info = NewLocalConnection("python3");
  ASSERT_TRUE(info.has_value());
  std::set<int> ports = {info->shell_port, info->iopub_port, info->stdin_port, info->control_port,
                         info->hb_port};
  EXPECT_EQ(ports.size(), 5u);
  EXPECT_EQ(ports.count(0), 0u);
  EXPECT_EQ(info->key.size(), 36u);
  EXPECT_EQ(info->ip, "127.0.0.1");
  auto other = NewLocalConnection("python3");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->key, info->key);
  EXPECT_EQ(ports.count(other->shell_port), 0u);  // not handed out twice
}

TEST(ConnectionFileTest, WritesAnOwnerOnlyFileThatReadsBack) {
  codeexec::testing::TempDir dir("conn");
  auto info = NewLocalConnection("python3");
  ASSERT_TRUE(info.has_value());
  auto path = dir.path() / "c.json";
  ASSERT_TRUE(WriteConnectionFile(path, *info).has_value());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ReadConnectionFile(path);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->shell_port, info->shell_port);
  EXPECT_EQ(read->key, info->key);
  EXPECT_EQ(read->signature_scheme, "hmac-sha256");
  EXPECT_FALSE(WriteConnectionFile(path, *info).has_value());  // never overwrites
}

TEST(ConnectionFileTest, Endpoints) {
  ConnectionInfo info;
  EXPECT_EQ(info.Endpoint(5555), "tcp://127.0.0.1:5555");
  info.transport = "ipc";
  info.ip = "/tmp/k";
  EXPECT_EQ(info.Endpoint(1), "ipc:///tmp/k-1");
}

TEST(ConnectionFileTest, IpcConnectionNamesFiveSocketsAfterThePrefix) {
  auto info = NewIpcConnection("python3", "/tmp/work/.k/kernel");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->transport, "ipc");
  std::set<std::string> endpoints;
  for (int port :
       {info->shell_port, info->iopub_port, info->stdin_port, info->control_port, info->hb_port}) {
    endpoints.insert(info->Endpoint(port));
  }
  EXPECT_EQ(endpoints.size(), 5u);
  EXPECT_EQ(endpoints.count("ipc:///tmp/work/.k/kernel-1"), 1u);
  EXPECT_EQ(info->key.size(), 36u);
  auto read = ConnectionInfo::FromJson(info->ToJson());
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->Endpoint(read->hb_port), info->Endpoint(info->hb_port));
}

TEST(ConnectionFileTest, IpcPathsTooLongForASocketAddressAreRefused) {
  auto info = NewIpcConnection("python3", "/" + std::string(120, 'w') + "/kernel");
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message().find("shorter work folder"), std::string::npos);
}

}  // namespace
}  // namespace codeexec::jupyter
