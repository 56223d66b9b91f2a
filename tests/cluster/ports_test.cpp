// The bounded TCP probe that guards the node's blocking connects.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "actors/transport/ports.hpp"
#include "tests/cluster/syn_hole.hpp"

namespace rdb::test {

namespace {

using namespace std::chrono_literals;

/// A listener on a free loopback port, accepting (by the kernel) as usual.
struct open_port {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::uint16_t port = 0;

  open_port() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~open_port() { ::close(fd); }
};

}  // namespace

TEST_CASE("reachable: a listening port is, a closed one is not") {
  open_port open;
  CHECK(reachable("127.0.0.1", open.port, 1000ms));
  CHECK(reachable("localhost", open.port, 1000ms));
  auto closed = pick_port("127.0.0.1");
  REQUIRE(closed != 0);
  CHECK_FALSE(reachable("127.0.0.1", closed, 1000ms));
}

TEST_CASE("reachable: a port that drops SYNs is not, once the timeout has passed") {
  auto port = pick_port("127.0.0.1");
  REQUIRE(port != 0);
  syn_hole hole{port};
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(reachable("127.0.0.1", port, 300ms));
  auto waited = std::chrono::steady_clock::now() - start;
  // It waits out its timeout; a blocking connect would wait about two minutes.
  CHECK(waited >= 300ms);
  CHECK(waited < 10s);
}

}  // namespace rdb::test
