#include "tests/cluster/process_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "tests/support/wait.hpp"

namespace rdb::test {

namespace {

/// The last lines of a node's log, for a failure message.
std::string tail_of(const std::string& path) {
  std::ifstream in{path};
  std::stringstream all;
  all << in.rdbuf();
  auto text = all.str();
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

/// Reads from `fd` until a whole line arrived or `deadline`; the line, or empty.
std::string read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string got;
  while (got.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return {};
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got.substr(0, got.find('\n'));
}

/// A loopback port that is free now and was not handed out before by this process, below the
/// kernel's ephemeral range. A node restarted on its former ports must find them free: a port
/// from the ephemeral range may meanwhile be the source port of any outgoing connection, one
/// below it only an explicit listener takes. A host whose ephemeral range leaves no room below
/// it gets ports from anywhere, restarts then racing as before.
std::string free_port() {
  int ephemeral_low = 32768;
  std::ifstream{"/proc/sys/net/ipv4/ip_local_port_range"} >> ephemeral_low;
  int low = std::max(1024, ephemeral_low - 12000);
  int high = ephemeral_low - 1;
  if (high - low < 1000) {
    low = 10000;
    high = 60000;
  }
  static std::mt19937 rng{std::random_device{}()};
  static std::set<int> handed_out;
  std::uniform_int_distribution<int> pick{low, high};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(rng);
    if (handed_out.count(port) > 0) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (!free) continue;
    handed_out.insert(port);
    return std::to_string(port);
  }
  FAIL("no free loopback port in " << low << "-" << high);
  return {};
}

}  // namespace

std::size_t count_in_file(const std::string& path, const std::string& text) {
  std::ifstream in{path};
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos) ++n;
  return n;
}

std::string node_process::field(const std::string& name) const {
  auto key = " " + name + "=";
  auto at = ready.find(key);
  if (at == std::string::npos) return {};
  auto from = at + key.size();
  return ready.substr(from, ready.find(' ', from) - from);
}

process_cluster::process_cluster(std::size_t stores, std::vector<std::string> store_flags)
    : store_flags_(std::move(store_flags)) {
  pd_ = start(
      "pd", {"--mode=pd", "--pd-port=" + free_port(), "--initial-stores=" + std::to_string(stores),
             "--replicas=" + std::to_string(stores < 3 ? stores : 3)});
  for (std::size_t i = 0; i < stores; ++i)
    stores_.push_back(start("store" + std::to_string(i), store_args(free_port(), free_port())));
}

process_cluster::~process_cluster() {
  for (auto& s : stores_)
    reap(s, SIGKILL);
  reap(pd_, SIGKILL);
}

std::vector<std::string> process_cluster::store_args(const std::string& peer,
                                                     const std::string& client) const {
  std::vector<std::string> args{"--mode=store", "--pd=" + pd_.field("pd"), "--peer-port=" + peer,
                                "--client-port=" + client};
  args.insert(args.end(), store_flags_.begin(), store_flags_.end());
  return args;
}

node_process process_cluster::start(std::string name, std::vector<std::string> args) {
  const char* binary = std::getenv("RDB_NODE");
  REQUIRE_MESSAGE(binary != nullptr, "RDB_NODE must name the rdb-node binary");
  node_process p;
  p.dir = tmp_.sub(name);
  p.log = tmp_.sub(name + ".log");
  p.args = std::move(args);
  int out[2];
  REQUIRE(::pipe(out) == 0);
  std::vector<std::string> argv{binary, "--data-dir=" + p.dir};
  argv.insert(argv.end(), p.args.begin(), p.args.end());
  p.pid = ::fork();
  REQUIRE(p.pid >= 0);
  if (p.pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int log = ::open(p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
    ::close(out[0]);
    std::vector<char*> cargs;
    for (auto& a : argv)
      cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(binary, cargs.data());
    ::_exit(127);
  }
  ::close(out[1]);
  p.ready = read_line(out[0], std::chrono::steady_clock::now() + std::chrono::seconds{30});
  ::close(out[0]);
  if (p.ready.rfind("rdb-node ready", 0) != 0) {
    reap(p, SIGKILL);
    FAIL("node " << name << " did not start; its log:\n" << tail_of(p.log));
  }
  return p;
}

void process_cluster::reap(node_process& p, int sig) {
  if (p.pid <= 0) return;
  ::kill(p.pid, sig);
  int status = 0;
  ::waitpid(p.pid, &status, 0);
  p.pid = -1;
}

std::string process_cluster::client_address(std::size_t i) const {
  return stores_.at(i).field("client");
}

std::vector<std::string> process_cluster::client_addresses() const {
  std::vector<std::string> out;
  for (const auto& s : stores_)
    out.push_back(s.field("client"));
  return out;
}

void process_cluster::kill_store(std::size_t i) {
  reap(stores_.at(i), SIGKILL);
}

void process_cluster::kill_pd() {
  reap(pd_, SIGKILL);
}

int process_cluster::stop_store(std::size_t i, std::chrono::milliseconds bound) {
  auto& p = stores_.at(i);
  if (p.pid <= 0) return -1;
  ::kill(p.pid, SIGTERM);
  int status = 0;
  if (!test::wait_until([&] { return ::waitpid(p.pid, &status, WNOHANG) != 0; }, bound)) {
    reap(p, SIGKILL);
    return -2;
  }
  p.pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void process_cluster::restart_store(std::size_t i) {
  auto& old = stores_.at(i);
  REQUIRE(old.pid <= 0);
  stores_[i] = start("store" + std::to_string(i), old.args);
}

void process_cluster::restart_pd() {
  REQUIRE(pd_.pid <= 0);
  pd_ = start("pd", pd_.args);
}

}  // namespace rdb::test
