// ZmtpSocket against libzmq (through cppzmq): the independent peer, bound on loopback TCP and
// on ipc paths as a kernel binds.
#include "jupyter/zmtp_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "jupyter/connection_file.h"
#include "jupyter/zmtp_test_util.h"

namespace codeexec::jupyter {
namespace {

using namespace zmtp_test;  // PumpUntil, ReceiveWithin, Options
using zmtp::SocketType;
using Frames = std::vector<std::string>;

zmq::socket_t Bind(zmq::context_t& context, zmq::socket_type type, const std::string& endpoint) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  socket.bind(endpoint);
  return socket;
}

std::string LastEndpoint(zmq::socket_t& socket) { return socket.get(zmq::sockopt::last_endpoint); }

std::optional<Frames> ZmqTryReceive(zmq::socket_t& socket) {
  std::vector<zmq::message_t> parts;
  if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  Frames frames;
  for (const auto& part : parts) frames.emplace_back(part.to_string());
  return frames;
}

// Pumps `ours` until the libzmq peer has a message.
std::optional<Frames> PeerReceive(ZmtpSocket& ours, zmq::socket_t& peer) {
  std::optional<Frames> frames;
  PumpUntil(ours, [&] { return (frames = ZmqTryReceive(peer)).has_value(); });
  return frames;
}

void ZmqSend(zmq::socket_t& socket, const Frames& frames) {
  std::vector<zmq::const_buffer> parts;
  for (const auto& frame : frames) parts.push_back(zmq::buffer(frame));
  ASSERT_TRUE(zmq::send_multipart(socket, parts));
}

// A TCP port nobody listens on (bound and released).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

class ZmtpSocketTest : public ::testing::Test {
 protected:
  ZmtpSocket Connect(const std::string& endpoint, ZmtpOptions options) {
    auto socket = ZmtpSocket::Connect(endpoint, std::move(options));
    EXPECT_TRUE(socket.has_value()) << socket.error().message();
    return std::move(*socket);
  }

  zmq::context_t context_{1};
};

TEST_F(ZmtpSocketTest, DealerRoundTripsWithARouterThatSeesItsIdentity) {
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, "tcp://127.0.0.1:*");
  ZmtpSocket dealer = Connect(LastEndpoint(router), Options(SocketType::kDealer, "client-7"));
  ASSERT_TRUE(dealer.Send(Frames{"hello", "world"}));
  auto request = PeerReceive(dealer, router);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(*request, (Frames{"client-7", "hello", "world"}));
  ZmqSend(router, {"client-7", "reply", ""});
  EXPECT_EQ(ReceiveWithin(dealer), (Frames{"reply", ""}));
  EXPECT_TRUE(dealer.connected());
  EXPECT_EQ(dealer.stats().protocol_errors, 0u);
}

TEST_F(ZmtpSocketTest, SubscribesToEverythingBeforeAnythingElseAndGetsTheFirstMessages) {
  // Created before the publisher binds, as for a kernel that is starting.
  int port = UnusedPort();
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  ZmtpSocket sub = Connect(endpoint, Options(SocketType::kSub));
  PumpFor(sub, milliseconds(30));
  zmq::socket_t xpub = Bind(context_, zmq::socket_type::xpub, endpoint);
  auto subscription = PeerReceive(sub, xpub);
  ASSERT_TRUE(subscription.has_value());
  EXPECT_EQ(*subscription, Frames{std::string("\x01", 1)});  // subscribe, to every topic
  ZmqSend(xpub, {"kernel.1.status", "starting"});
  ZmqSend(xpub, {"kernel.1.status", "busy"});
  EXPECT_EQ(ReceiveWithin(sub), (Frames{"kernel.1.status", "starting"}));
  EXPECT_EQ(ReceiveWithin(sub), (Frames{"kernel.1.status", "busy"}));
}

TEST_F(ZmtpSocketTest, SubReceivesFromAPlainPublisher) {
  zmq::socket_t pub = Bind(context_, zmq::socket_type::pub, "tcp://127.0.0.1:*");
  ZmtpSocket sub = Connect(LastEndpoint(pub), Options(SocketType::kSub));
  // PUB drops what it sends before our subscription arrives: publish until one gets through.
  std::optional<Frames> received;
  for (int i = 0; i < 1000 && !received; ++i) {
    ZmqSend(pub, {"stream.stdout", std::to_string(i)});
    received = ReceiveWithin(sub, milliseconds(5));
  }
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->front(), "stream.stdout");
  EXPECT_FALSE(sub.Send(Frames{"x"}));  // a SUB does not send
}

TEST_F(ZmtpSocketTest, ReqRoundTripsWithRepOneRequestAtATime) {
  zmq::socket_t rep = Bind(context_, zmq::socket_type::rep, "tcp://127.0.0.1:*");
  ZmtpSocket req = Connect(LastEndpoint(rep), Options(SocketType::kReq));
  ASSERT_TRUE(req.Send(Frames{"ping"}));
  auto second = req.Send(Frames{"again"});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(PeerReceive(req, rep), Frames{"ping"});  // REP strips the delimiter we added
  ZmqSend(rep, {"ping"});
  EXPECT_EQ(ReceiveWithin(req), Frames{"ping"});
  EXPECT_TRUE(req.Send(Frames{"next"}));  // the reply frees the socket
}

TEST_F(ZmtpSocketTest, ReqRecreatedAfterAMissedReplyGetsOnlyItsOwnReply) {
  zmq::socket_t rep = Bind(context_, zmq::socket_type::rep, "tcp://127.0.0.1:*");
  std::string endpoint = LastEndpoint(rep);
  std::optional<ZmtpSocket> req = Connect(endpoint, Options(SocketType::kReq));
  ASSERT_TRUE(req->Send(Frames{"first"}));
  EXPECT_EQ(PeerReceive(*req, rep), Frames{"first"});
  // No reply in time: the heartbeat gives up on this socket and makes a new one.
  req = Connect(endpoint, Options(SocketType::kReq));
  ASSERT_TRUE(req->Send(Frames{"second"}));
  ZmqSend(rep, {"late reply to first"});  // goes to the closed connection
  EXPECT_EQ(PeerReceive(*req, rep), Frames{"second"});
  ZmqSend(rep, {"reply to second"});
  EXPECT_EQ(ReceiveWithin(*req), Frames{"reply to second"});
}

TEST_F(ZmtpSocketTest, MessagesSentBeforeThePeerBindsGoOutInOrderOnConnect) {
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(UnusedPort());
  ZmtpSocket dealer = Connect(endpoint, Options(SocketType::kDealer, "early"));
  for (std::string text : {"one", "two", "three"}) ASSERT_TRUE(dealer.Send(Frames{text}));
  PumpFor(dealer, milliseconds(50));  // several refused attempts
  EXPECT_FALSE(dealer.connected());
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, endpoint);
  for (std::string text : {"one", "two", "three"}) {
    EXPECT_EQ(PeerReceive(dealer, router), (Frames{"early", text}));
  }
}

TEST_F(ZmtpSocketTest, SendQueueIsBoundedWithAClearError) {
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(UnusedPort());
  ZmtpOptions options = Options(SocketType::kDealer);
  options.send_queue_messages = 2;
  ZmtpSocket dealer = Connect(endpoint, options);
  ASSERT_TRUE(dealer.Send(Frames{"a"}));
  ASSERT_TRUE(dealer.Send(Frames{"b"}));
  auto full = dealer.Send(Frames{"c"});
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(full.error().message().find("2 messages"), std::string::npos);
}

TEST_F(ZmtpSocketTest, ReconnectsWhenThePeerRestarts) {
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(UnusedPort());
  ZmtpSocket dealer = Connect(endpoint, Options(SocketType::kDealer, "d"));
  {
    zmq::socket_t router = Bind(context_, zmq::socket_type::router, endpoint);
    ASSERT_TRUE(dealer.Send(Frames{"before"}));
    EXPECT_EQ(PeerReceive(dealer, router), (Frames{"d", "before"}));
  }  // closed: the kernel exits
  ASSERT_TRUE(PumpUntil(dealer, [&] { return !dealer.connected(); }));
  ASSERT_TRUE(dealer.Send(Frames{"while away"}));
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, endpoint);
  EXPECT_EQ(PeerReceive(dealer, router), (Frames{"d", "while away"}));
  EXPECT_EQ(dealer.stats().handshakes, 2u);
  EXPECT_EQ(dealer.stats().protocol_errors, 0u);
}

TEST_F(ZmtpSocketTest, MultipartWithEmptyShortAndLargeFramesSurvivesBothWays) {
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, "tcp://127.0.0.1:*");
  ZmtpSocket dealer = Connect(LastEndpoint(router), Options(SocketType::kDealer, "big"));
  std::mt19937 random(7);
  std::string large(6 << 20, '\0');  // several MiB: many reads and writes, long frames
  for (char& c : large) c = static_cast<char>(random());
  Frames frames = {"", "x", std::string(255, 's'), std::string(256, 'l'), large, ""};
  ASSERT_TRUE(dealer.Send(frames));
  auto received = PeerReceive(dealer, router);
  ASSERT_TRUE(received.has_value());
  ASSERT_EQ(received->size(), frames.size() + 1);
  EXPECT_EQ(Frames(received->begin() + 1, received->end()), frames);
  Frames reply = frames;
  reply.insert(reply.begin(), "big");
  ZmqSend(router, reply);
  EXPECT_EQ(ReceiveWithin(dealer), frames);
}

TEST_F(ZmtpSocketTest, IpcEndpointsAsJupyterNamesThem) {
  char dir[] = "/tmp/zmtp-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ConnectionInfo info;
  info.transport = "ipc";
  info.ip = std::string(dir) + "/kernel";
  std::string shell = info.Endpoint(1), iopub = info.Endpoint(2);  // ipc://DIR/kernel-1, -2
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, shell);
  zmq::socket_t xpub = Bind(context_, zmq::socket_type::xpub, iopub);
  ZmtpSocket dealer = Connect(shell, Options(SocketType::kDealer, "ipc-client"));
  ZmtpSocket sub = Connect(iopub, Options(SocketType::kSub));
  ASSERT_TRUE(dealer.Send(Frames{"over ipc"}));
  EXPECT_EQ(PeerReceive(dealer, router), (Frames{"ipc-client", "over ipc"}));
  ZmqSend(router, {"ipc-client", "back"});
  EXPECT_EQ(ReceiveWithin(dealer), Frames{"back"});
  ASSERT_TRUE(PeerReceive(sub, xpub).has_value());  // the subscription
  ZmqSend(xpub, {"topic", "published"});
  EXPECT_EQ(ReceiveWithin(sub), (Frames{"topic", "published"}));
  std::filesystem::remove_all(dir);
}

// A peer that controls the folder of its socket (an untrusted kernel) cannot point this host at
// another socket through a symbolic link: the link is waited out as a socket not bound yet.
TEST_F(ZmtpSocketTest, AnIpcPathThatIsASymbolicLinkIsNeverFollowed) {
  char dir[] = "/tmp/zmtp-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string elsewhere = std::string(dir) + "/elsewhere", link = std::string(dir) + "/kernel-1";
  zmq::socket_t other = Bind(context_, zmq::socket_type::router, "ipc://" + elsewhere);
  std::filesystem::create_symlink(elsewhere, link);
  ZmtpSocket dealer = Connect("ipc://" + link, Options(SocketType::kDealer, "client"));
  ASSERT_TRUE(dealer.Send(Frames{"not for you"}));
  PumpFor(dealer, milliseconds(300));
  EXPECT_FALSE(ZmqTryReceive(other).has_value());
  // Once the path is a socket, the queued message goes there.
  std::filesystem::remove(link);
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, "ipc://" + link);
  EXPECT_EQ(PeerReceive(dealer, router), (Frames{"client", "not for you"}));
  EXPECT_FALSE(ZmqTryReceive(other).has_value());
  std::filesystem::remove_all(dir);
}

TEST_F(ZmtpSocketTest, AnswersLibzmqHeartbeatsSoTheConnectionStays) {
  zmq::socket_t router(context_, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::heartbeat_ivl, 20);
  router.set(zmq::sockopt::heartbeat_timeout, 100);  // closes a peer that stays silent
  router.bind("tcp://127.0.0.1:*");
  ZmtpSocket dealer = Connect(LastEndpoint(router), Options(SocketType::kDealer, "hb"));
  ASSERT_TRUE(dealer.Send(Frames{"hi"}));
  ASSERT_TRUE(PeerReceive(dealer, router).has_value());
  PumpFor(dealer, milliseconds(500));  // 25 PINGs, each answered with a PONG
  ZmqSend(router, {"hb", "still there"});
  EXPECT_EQ(ReceiveWithin(dealer), Frames{"still there"});
  EXPECT_EQ(dealer.stats().handshakes, 1u);
}

TEST_F(ZmtpSocketTest, PollReportsTheCallersDescriptorsAndItsTimeout) {
  zmq::socket_t router = Bind(context_, zmq::socket_type::router, "tcp://127.0.0.1:*");
  ZmtpSocket dealer = Connect(LastEndpoint(router), Options(SocketType::kDealer));
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ZmtpSocket* sockets[] = {&dealer};
  int fds[] = {pipe_fds[0], pipe_fds[0]};
  EXPECT_EQ(ZmtpSocket::Poll(sockets, fds, milliseconds(20)), 0u);  // nothing, then timeout
  ASSERT_EQ(write(pipe_fds[1], "x", 1), 1);
  EXPECT_EQ(ZmtpSocket::Poll(sockets, fds, milliseconds(-1)), 3u);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_F(ZmtpSocketTest, BadEndpointsAndOptionsAreRefused) {
  EXPECT_FALSE(ZmtpSocket::Connect("udp://127.0.0.1:1", Options(SocketType::kDealer)));
  EXPECT_FALSE(ZmtpSocket::Connect("tcp://127.0.0.1", Options(SocketType::kDealer)));
  EXPECT_FALSE(ZmtpSocket::Connect("tcp://127.0.0.1:99999", Options(SocketType::kDealer)));
  EXPECT_FALSE(ZmtpSocket::Connect("ipc://" + std::string(200, 'p'), Options(SocketType::kSub)));
  EXPECT_FALSE(ZmtpSocket::Connect("tcp://127.0.0.1:1",
                                   Options(SocketType::kDealer, std::string(256, 'i'))));
  EXPECT_TRUE(ZmtpSocket::Connect("tcp://[::1]:1", Options(SocketType::kDealer)));
}

}  // namespace
}  // namespace codeexec::jupyter
