#include "tools/node-cluster/node_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace rdb::procs {

namespace {

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
result<std::string> free_port() {
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
    if (fd < 0) return std::unexpected(std::string{"cannot open a socket"});
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
  return std::unexpected("no free loopback port in " + std::to_string(low) + "-" +
                         std::to_string(high));
}

}  // namespace

std::string node_process::field(const std::string& name) const {
  auto key = " " + name + "=";
  auto at = ready.find(key);
  if (at == std::string::npos) return {};
  auto from = at + key.size();
  return ready.substr(from, ready.find(' ', from) - from);
}

void reap(node_process& p, int sig) {
  if (p.pid <= 0) return;
  ::kill(p.pid, sig);
  // A paused process must run to die of anything but SIGKILL.
  if (sig != SIGKILL) ::kill(p.pid, SIGCONT);
  int status = 0;
  ::waitpid(p.pid, &status, 0);
  p.pid = -1;
}

std::size_t count_in_file(const std::string& path, const std::string& text) {
  std::ifstream in{path};
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos) ++n;
  return n;
}

std::string tail_of(const std::string& path) {
  std::ifstream in{path};
  std::stringstream all;
  all << in.rdbuf();
  auto text = all.str();
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

result<node_cluster> node_cluster::start(std::string node, std::string dir, std::size_t stores,
                                         std::vector<std::string> store_flags,
                                         std::vector<std::string> pd_flags) {
  if (stores < 1) return std::unexpected(std::string{"a cluster needs at least one store"});
  node_cluster c{std::move(node), std::move(dir), std::move(store_flags)};
  auto pd_port = free_port();
  if (!pd_port) return std::unexpected(pd_port.error());
  std::vector<std::string> args{"--mode=pd", "--pd-port=" + *pd_port,
                                "--initial-stores=" + std::to_string(stores),
                                "--replicas=" + std::to_string(stores < 3 ? stores : 3)};
  args.insert(args.end(), pd_flags.begin(), pd_flags.end());
  auto pd = c.launch("pd", std::move(args));
  if (!pd) return std::unexpected(pd.error());
  c.pd_ = std::move(*pd);
  for (std::size_t i = 0; i < stores; ++i)
    if (auto added = c.add_store(); !added) return std::unexpected(added.error());
  return c;
}

result<std::size_t> node_cluster::add_store() {
  auto peer = free_port();
  auto client = peer ? free_port() : peer;
  if (!client) return std::unexpected(client.error());
  std::vector<std::string> args{"--mode=store", "--pd=" + pd_address(), "--peer-port=" + *peer,
                                "--client-port=" + *client};
  args.insert(args.end(), store_flags_.begin(), store_flags_.end());
  auto s = launch("store" + std::to_string(stores_.size()), std::move(args));
  if (!s) return std::unexpected(s.error());
  stores_.push_back(std::move(*s));
  return stores_.size() - 1;
}

// A moved-from cluster owns no process: its destructor must not kill the moved ones.
node_cluster::node_cluster(node_cluster&& other) noexcept
    : node_(std::move(other.node_)),
      dir_(std::move(other.dir_)),
      store_flags_(std::move(other.store_flags_)),
      pd_(std::exchange(other.pd_, node_process{})),
      stores_(std::exchange(other.stores_, {})) {}

node_cluster& node_cluster::operator=(node_cluster&& other) noexcept {
  if (this != &other) {
    reap_all();
    node_ = std::move(other.node_);
    dir_ = std::move(other.dir_);
    store_flags_ = std::move(other.store_flags_);
    pd_ = std::exchange(other.pd_, node_process{});
    stores_ = std::exchange(other.stores_, {});
  }
  return *this;
}

node_cluster::~node_cluster() {
  reap_all();
}

void node_cluster::reap_all() {
  for (auto& s : stores_)
    reap(s, SIGKILL);
  reap(pd_, SIGKILL);
}

result<node_process> node_cluster::launch(const std::string& name,
                                          std::vector<std::string> args) const {
  node_process p;
  p.dir = dir_ + "/" + name;
  p.log = dir_ + "/" + name + ".log";
  p.args = std::move(args);
  ::mkdir(p.dir.c_str(), 0755);
  int out[2];
  if (::pipe(out) != 0) return std::unexpected(std::string{"cannot open a pipe"});
  std::vector<std::string> argv{node_, "--data-dir=" + p.dir};
  argv.insert(argv.end(), p.args.begin(), p.args.end());
  p.pid = ::fork();
  if (p.pid < 0) return std::unexpected(std::string{"cannot fork"});
  if (p.pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int log = ::open(p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
    ::close(out[0]);
    std::vector<char*> cargs;
    for (auto& a : argv)
      cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(node_.c_str(), cargs.data());
    ::_exit(127);
  }
  ::close(out[1]);
  p.ready = read_line(out[0], std::chrono::steady_clock::now() + std::chrono::seconds{30});
  ::close(out[0]);
  if (p.ready.rfind("rdb-node ready", 0) != 0) {
    reap(p, SIGKILL);
    return std::unexpected("node " + name + " did not start; its log:\n" + tail_of(p.log));
  }
  return p;
}

void node_cluster::kill_store(std::size_t i) {
  reap(stores_.at(i), SIGKILL);
}

void node_cluster::kill_pd() {
  reap(pd_, SIGKILL);
}

void node_cluster::pause_store(std::size_t i) {
  if (stores_.at(i).running()) ::kill(stores_[i].pid, SIGSTOP);
}

void node_cluster::resume_store(std::size_t i) {
  if (stores_.at(i).running()) ::kill(stores_[i].pid, SIGCONT);
}

int node_cluster::stop_store(std::size_t i, std::chrono::milliseconds bound) {
  auto& p = stores_.at(i);
  if (!p.running()) return -1;
  ::kill(p.pid, SIGTERM);
  ::kill(p.pid, SIGCONT);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (::waitpid(p.pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      reap(p, SIGKILL);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  p.pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

result<void> node_cluster::restart_store(std::size_t i) {
  auto& old = stores_.at(i);
  if (old.running()) return std::unexpected("store " + std::to_string(i) + " still runs");
  auto s = launch("store" + std::to_string(i), old.args);
  if (!s) return std::unexpected(s.error());
  old = std::move(*s);
  return {};
}

result<void> node_cluster::restart_pd() {
  if (pd_.running()) return std::unexpected(std::string{"PD still runs"});
  auto p = launch("pd", pd_.args);
  if (!p) return std::unexpected(p.error());
  pd_ = std::move(*p);
  return {};
}

}  // namespace rdb::procs
