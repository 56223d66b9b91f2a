#include "tests/cluster/syn_hole.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace rdb::test {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

syn_hole::syn_hole(std::uint16_t port) {
  auto a = loopback(port);
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener_ >= 0);
  int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  // A backlog of 0 holds one established connection; nothing is ever accepted.
  REQUIRE(::listen(listener_, 0) == 0);
  // Non-blocking: if another connection took the one place first, this one's SYN is dropped
  // like the rest and the queue is full either way.
  filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(filler_ >= 0);
  ::connect(filler_, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

syn_hole::~syn_hole() {
  ::close(filler_);
  ::close(listener_);
}

bool syn_sent(pid_t pid, std::uint16_t port) {
  // /proc/net/tcp: "sl local_address rem_address st ... inode", addresses as hex ip:port.
  std::ifstream table{"/proc/net/tcp"};
  std::set<std::string> inodes;
  std::string line;
  std::getline(table, line);
  while (std::getline(table, line)) {
    std::istringstream in{line};
    std::string sl, local, remote, state, skip, inode;
    in >> sl >> local >> remote >> state;
    for (int i = 0; i < 5; ++i)
      in >> skip;
    in >> inode;
    auto colon = remote.find(':');
    if (state == "02" && colon != std::string::npos &&
        std::stoul(remote.substr(colon + 1), nullptr, 16) == port)
      inodes.insert("socket:[" + inode + "]");
  }
  if (inodes.empty()) return false;
  std::error_code ec;
  for (const auto& fd :
       std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/fd", ec}) {
    auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && inodes.count(target.string()) > 0) return true;
  }
  return false;
}

}  // namespace rdb::test
