#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tools/node-cluster/node_cluster.hpp"

namespace rdb::test {

using procs::count_in_file;

/// A real cluster on loopback for a test: a `procs::node_cluster` (PD and N stores as rdb-node
/// processes, the binary named by the RDB_NODE environment variable) under a fresh temporary
/// directory. A node that does not start, or cannot be restarted, fails the test with its log.
/// The destructor kills whatever still runs.
class process_cluster {
 public:
  explicit process_cluster(std::size_t stores, std::vector<std::string> store_flags = {},
                           std::vector<std::string> pd_flags = {});

  std::size_t stores() const { return nodes_->stores(); }
  /// PD's middleman address (host:port).
  std::string pd_address() const { return nodes_->pd_address(); }
  std::string client_address(std::size_t i) const { return nodes_->store(i).field("client"); }
  std::vector<std::string> client_addresses() const;
  /// Where store `i` writes its log.
  const std::string& store_log(std::size_t i) const { return nodes_->store(i).log; }
  /// The store id store `i` printed when it became ready.
  std::string store_id(std::size_t i) const { return nodes_->store(i).field("store"); }
  /// Store `i`'s address for other stores (host:port).
  std::string peer_address(std::size_t i) const { return nodes_->store(i).field("peer"); }
  /// Store `i`'s data directory (`--data-dir`).
  const std::string& store_dir(std::size_t i) const { return nodes_->store(i).dir; }
  /// Store `i`'s process, -1 once stopped or killed.
  pid_t store_pid(std::size_t i) const { return nodes_->store(i).pid; }

  /// Starts one more store, a new member of the cluster; answers its index.
  std::size_t add_store();

  /// SIGKILL, then reaps it.
  void kill_store(std::size_t i) { nodes_->kill_store(i); }
  void kill_pd() { nodes_->kill_pd(); }
  /// SIGTERM, then reaps it; its exit status (0 for a graceful stop), or -2 if it still ran
  /// after `bound` (it is then killed).
  int stop_store(std::size_t i, std::chrono::milliseconds bound = std::chrono::seconds{60}) {
    return nodes_->stop_store(i, bound);
  }
  /// Starts a stopped or killed node again on its directory and its former ports.
  void restart_store(std::size_t i);
  void restart_pd();

 private:
  temp_dir tmp_;
  std::optional<procs::node_cluster> nodes_;
};

}  // namespace rdb::test
