#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace rdb::test {

/// How many lines of the file at `path` hold `text` (a node's log, say).
std::size_t count_in_file(const std::string& path, const std::string& text);

/// One rdb-node process a test started.
struct node_process {
  pid_t pid = -1;
  /// Its data directory and its log (stderr).
  std::string dir;
  std::string log;
  /// The flags it was started with.
  std::vector<std::string> args;
  /// Its "rdb-node ready ..." line.
  std::string ready;

  /// A `name=value` field of the ready line ("client", "peer", "pd", "store"); empty if none.
  std::string field(const std::string& name) const;
};

/// A real cluster on loopback: PD and N stores as rdb-node processes (the binary named by the
/// RDB_NODE environment variable), each in its own directory under a fresh temporary one,
/// every port picked free below the kernel's ephemeral range, so a restarted node finds its
/// former ports free. Processes are started and stopped by the test; the
/// destructor kills whatever still runs. Starting waits for a node's ready line with a bound
/// and fails the test with the node's log if it does not come.
class process_cluster {
 public:
  explicit process_cluster(std::size_t stores, std::vector<std::string> store_flags = {});
  ~process_cluster();
  process_cluster(const process_cluster&) = delete;
  process_cluster& operator=(const process_cluster&) = delete;

  std::size_t stores() const { return stores_.size(); }
  /// PD's middleman address (host:port).
  std::string pd_address() const { return pd_.field("pd"); }
  std::string client_address(std::size_t i) const;
  std::vector<std::string> client_addresses() const;
  /// Where store `i` writes its log.
  const std::string& store_log(std::size_t i) const { return stores_.at(i).log; }
  /// The store id store `i` printed when it became ready.
  std::string store_id(std::size_t i) const { return stores_.at(i).field("store"); }
  /// Store `i`'s address for other stores (host:port).
  std::string peer_address(std::size_t i) const { return stores_.at(i).field("peer"); }
  /// Store `i`'s data directory (`--data-dir`).
  const std::string& store_dir(std::size_t i) const { return stores_.at(i).dir; }
  /// Store `i`'s process, -1 once stopped or killed.
  pid_t store_pid(std::size_t i) const { return stores_.at(i).pid; }

  /// SIGKILL, then reaps it.
  void kill_store(std::size_t i);
  void kill_pd();
  /// SIGTERM, then reaps it; its exit status (0 for a graceful stop), or -2 if it still ran
  /// after `bound` (it is then killed).
  int stop_store(std::size_t i, std::chrono::milliseconds bound = std::chrono::seconds{60});
  /// Starts a stopped or killed node again on its directory and its former ports.
  void restart_store(std::size_t i);
  void restart_pd();

 private:
  node_process start(std::string name, std::vector<std::string> args);
  void reap(node_process& p, int sig);
  std::vector<std::string> store_args(const std::string& peer, const std::string& client) const;

  temp_dir tmp_;
  std::vector<std::string> store_flags_;
  node_process pd_;
  std::vector<node_process> stores_;
};

}  // namespace rdb::test
