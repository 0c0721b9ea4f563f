// ZmtpSocket against peers that break the protocol, written byte by byte over a raw TCP
// socket: each one is dropped and counted, and the socket connects again, without hanging,
// crashing or reserving memory a peer merely announced.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jupyter/zmtp_socket.h"
#include "jupyter/zmtp_test_util.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

using namespace zmtp_test;  // PumpUntil, ReceiveWithin, Options
using zmtp::SocketType;
using Frames = std::vector<std::string>;

std::string PeerGreeting(std::string_view mechanism = "NULL", char major = 3, char minor = 1) {
  std::string greeting(64, '\0');
  greeting[0] = '\xFF';
  greeting[9] = '\x7F';
  greeting[10] = major;
  greeting[11] = minor;
  greeting.replace(12, mechanism.size(), mechanism);
  return greeting;
}

// A short command frame.
std::string PeerCommand(std::string_view name, std::string_view data) {
  std::string frame = {'\x04', static_cast<char>(1 + name.size() + data.size()),
                       static_cast<char>(name.size())};
  return frame.append(name).append(data);
}

std::string PeerReady(std::string_view socket_type) {
  std::string data = std::string("\x0BSocket-Type\x00\x00\x00", 15);
  data.push_back(static_cast<char>(socket_type.size()));
  return PeerCommand("READY", data.append(socket_type));
}

// A short message frame.
std::string PeerFrame(std::string_view body, bool more = false) {
  std::string frame = {more ? '\x01' : '\x00', static_cast<char>(body.size())};
  return frame.append(body);
}

// The listening end, played by the test: accepts our socket's connections and writes whatever
// the test wants, while the socket keeps running.
class RawPeer {
 public:
  RawPeer() : listener_(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(listen(listener_.get(), 8), 0);
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  }

  const std::string& endpoint() const { return endpoint_; }

  // Takes the socket's next connection.
  bool Accept(ZmtpSocket& ours) {
    return PumpUntil(ours, [&] {
      connection_.Reset(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      return connection_.valid();
    });
  }

  void Write(std::string_view bytes) {
    ASSERT_EQ(send(connection_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // Reads `size` bytes from the connection (fewer if it closes or the patience runs out).
  std::string Read(ZmtpSocket& ours, std::size_t size) {
    std::string bytes;
    PumpUntil(ours, [&] {
      pollfd item{connection_.get(), POLLIN, 0};
      if (poll(&item, 1, 0) == 1) {
        char buffer[4096];
        ssize_t n =
            recv(connection_.get(), buffer, std::min(sizeof(buffer), size - bytes.size()), 0);
        if (n <= 0) return true;
        bytes.append(buffer, static_cast<std::size_t>(n));
      }
      return bytes.size() == size;
    });
    return bytes;
  }

  // Reads our greeting and READY command; returns READY's body.
  std::string ReadHandshake(ZmtpSocket& ours) {
    std::string greeting = Read(ours, 64);
    EXPECT_EQ(greeting.substr(0, 1), "\xFF");
    std::string header = Read(ours, 2);
    if (header.size() != 2) return {};
    EXPECT_EQ(header[0], '\x04');  // a short command
    return Read(ours, static_cast<unsigned char>(header[1]));
  }

  // Accepts and completes the handshake as a ROUTER of version 3.`minor`.
  bool Handshake(ZmtpSocket& ours, char minor = 1) {
    if (!Accept(ours)) return false;
    ReadHandshake(ours);
    Write(PeerGreeting("NULL", 3, minor) + PeerReady("ROUTER"));
    return PumpUntil(ours, [&] { return ours.connected(); });
  }

  void Close() { connection_.Reset(); }

 private:
  UniqueFd listener_;
  UniqueFd connection_;
  std::string endpoint_;
};

class ZmtpHostilePeerTest : public ::testing::Test {
 protected:
  ZmtpSocket Connect(ZmtpOptions options = Options(SocketType::kDealer, "me")) {
    return std::move(*ZmtpSocket::Connect(peer_.endpoint(), std::move(options)));
  }

  // The socket drops the connection for `problem`, and connects again.
  void ExpectDroppedFor(ZmtpSocket& ours, std::string_view problem) {
    ASSERT_TRUE(PumpUntil(ours, [&] { return ours.stats().protocol_errors == 1; }));
    EXPECT_NE(ours.stats().last_error.find(problem), std::string::npos) << ours.stats().last_error;
    EXPECT_FALSE(ours.connected());
    EXPECT_FALSE(ours.TryReceive().has_value());
    EXPECT_TRUE(peer_.Accept(ours)) << "no new connection after the drop";
  }

  RawPeer peer_;
};

TEST_F(ZmtpHostilePeerTest, APeerThatIsNotZeroMqIsDroppedAndRetried) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write("HTTP/1.1 400 Bad Request\r\n\r\n");
  ExpectDroppedFor(ours, "not a ZeroMQ peer");
}

TEST_F(ZmtpHostilePeerTest, AnotherSecurityMechanismIsRefused) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write(PeerGreeting("CURVE"));
  ExpectDroppedFor(ours, "CURVE");
}

TEST_F(ZmtpHostilePeerTest, AnOlderProtocolIsRefused) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write(PeerGreeting("NULL", /*major=*/1, 0).substr(0, 12));  // ZMTP 2.0's revision 1
  ExpectDroppedFor(ours, "ZMTP 1.x");
}

TEST_F(ZmtpHostilePeerTest, AGreetingSentByteByByteCompletesTheHandshake) {
  ZmtpSocket ours = Connect(Options(SocketType::kDealer, "slow"));
  ASSERT_TRUE(ours.Send(Frames{"queued"}));
  ASSERT_TRUE(peer_.Accept(ours));
  std::string ready = peer_.ReadHandshake(ours);
  EXPECT_NE(ready.find(std::string("Socket-Type\x00\x00\x00\x06"
                                   "DEALER",
                                   21)),
            std::string::npos);
  EXPECT_NE(ready.find(std::string("Identity\x00\x00\x00\x04slow", 16)), std::string::npos);
  for (char c : PeerGreeting() + PeerReady("ROUTER")) {
    peer_.Write(std::string_view(&c, 1));
    PumpFor(ours, milliseconds(1));
  }
  ASSERT_TRUE(PumpUntil(ours, [&] { return ours.connected(); }));
  EXPECT_EQ(peer_.Read(ours, 8), PeerFrame("queued"));  // sent once READY arrived
  peer_.Write(PeerFrame("hel", true));
  PumpFor(ours, milliseconds(5));
  peer_.Write(PeerFrame("lo"));
  EXPECT_EQ(ReceiveWithin(ours), (Frames{"hel", "lo"}));
}

TEST_F(ZmtpHostilePeerTest, APeerThatNeverAnswersIsDroppedAfterTheHandshakeTimeout) {
  ZmtpOptions options = Options(SocketType::kDealer);
  options.handshake_timeout = milliseconds(100);
  ZmtpSocket ours = Connect(options);
  ASSERT_TRUE(peer_.Accept(ours));
  ExpectDroppedFor(ours, "no handshake within 100 ms");
}

TEST_F(ZmtpHostilePeerTest, AFrameOverTheLimitIsRefusedBeforeItsBody) {
  ZmtpOptions options = Options(SocketType::kDealer);
  options.max_message_size = 1 << 20;
  ZmtpSocket ours = Connect(options);
  ASSERT_TRUE(peer_.Handshake(ours));
  peer_.Write(std::string("\x02\x00\x00\x01\x00\x00\x00\x00\x00", 9));  // announces 1 TiB
  ExpectDroppedFor(ours, "1099511627776 bytes");
}

TEST_F(ZmtpHostilePeerTest, AFloodOfEmptyFramesIsBoundedToo) {
  ZmtpOptions options = Options(SocketType::kDealer);
  options.max_message_size = 64 * 1024;
  ZmtpSocket ours = Connect(options);
  ASSERT_TRUE(peer_.Handshake(ours));
  std::string flood;
  for (int i = 0; i < 3000; ++i) flood += PeerFrame("", /*more=*/true);
  peer_.Write(flood);
  ExpectDroppedFor(ours, "a message of more than 65536 bytes");
}

TEST_F(ZmtpHostilePeerTest, ATruncatedFrameIsDiscardedWithItsConnection) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Handshake(ours));
  peer_.Write(PeerFrame("first", true) + std::string("\x00\x64", 2) + "ten bytes.");  // of 100
  peer_.Close();
  ASSERT_TRUE(peer_.Handshake(ours));  // a close is not an offence: retried at once
  peer_.Write(PeerFrame("whole"));
  EXPECT_EQ(ReceiveWithin(ours), Frames{"whole"});
  EXPECT_FALSE(ours.TryReceive().has_value());
  EXPECT_EQ(ours.stats().protocol_errors, 0u);
}

TEST_F(ZmtpHostilePeerTest, GarbageAfterTheHandshakeDropsTheConnection) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Handshake(ours));
  peer_.Write(std::string(32, '\xFF'));
  ExpectDroppedFor(ours, "reserved flag bits");
}

TEST_F(ZmtpHostilePeerTest, AnErrorCommandIsReportedWithItsReason) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write(PeerGreeting() + PeerCommand("ERROR", "\x07go away"));
  ExpectDroppedFor(ours, "go away");
}

TEST_F(ZmtpHostilePeerTest, APeerOfTheWrongSocketTypeIsRefused) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write(PeerGreeting() + PeerReady("PUB"));
  ExpectDroppedFor(ours, "a PUB peer");
}

TEST_F(ZmtpHostilePeerTest, AMessageBeforeReadyIsRefused) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Accept(ours));
  peer_.Write(PeerGreeting() + PeerFrame("too early"));
  ExpectDroppedFor(ours, "before the handshake");
}

TEST_F(ZmtpHostilePeerTest, BytesThatAreNotUtf8PassThroughUntouched) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Handshake(ours));
  std::string binary("\xFF\xFE\x80\x00\xC3\x28", 6);
  peer_.Write(PeerFrame(binary, true) + PeerFrame("\xED\xA0\x80"));  // a lone surrogate
  EXPECT_EQ(ReceiveWithin(ours), (Frames{binary, "\xED\xA0\x80"}));
}

TEST_F(ZmtpHostilePeerTest, PingIsAnsweredWithAPongEchoingItsContext) {
  ZmtpSocket ours = Connect();
  ASSERT_TRUE(peer_.Handshake(ours, /*minor=*/1));
  peer_.Write(PeerCommand("PING", std::string("\x00\x0A", 2) + "ctx42"));
  EXPECT_EQ(peer_.Read(ours, 12), PeerCommand("PONG", "ctx42"));
  EXPECT_TRUE(ours.connected());
}

}  // namespace
}  // namespace codeexec::jupyter
