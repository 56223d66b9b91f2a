#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <expected>
#include <string>
#include <vector>

/// A local cluster of real processes: PD and N stores as rdb-node processes on loopback, each
/// with its data directory and log under one directory the caller owns. Used by the console
/// (`cluster start`) and by the process tests (tests/cluster/process_cluster.hpp).
///
/// Ports are picked free below the kernel's ephemeral range, so a node restarted on its former
/// ports finds them free. Starting a node waits, with a bound, for its "rdb-node ready ..."
/// line on standard output; its standard error goes to its log. The destructor SIGKILLs
/// whatever still runs.
namespace rdb::procs {

template <class T>
using result = std::expected<T, std::string>;

/// One rdb-node process.
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
  bool running() const { return pid > 0; }
};

class node_cluster {
 public:
  /// Starts PD (expecting `stores` initial stores, min(stores, 3) replicas per region, and
  /// `pd_flags`), then the stores, each with `store_flags`, the binary `node` under `dir`.
  static result<node_cluster> start(std::string node, std::string dir, std::size_t stores,
                                    std::vector<std::string> store_flags = {},
                                    std::vector<std::string> pd_flags = {});

  node_cluster(node_cluster&&) noexcept;
  node_cluster& operator=(node_cluster&&) noexcept;
  ~node_cluster();

  std::size_t stores() const { return stores_.size(); }
  const node_process& store(std::size_t i) const { return stores_.at(i); }
  const node_process& pd() const { return pd_; }
  /// PD's middleman address (host:port).
  std::string pd_address() const { return pd_.field("pd"); }

  /// Starts one more store (with the cluster's store flags), which registers with PD as a new
  /// store; answers its index.
  result<std::size_t> add_store();

  /// SIGKILL, then reaps it.
  void kill_store(std::size_t i);
  void kill_pd();
  /// SIGSTOP / SIGCONT.
  void pause_store(std::size_t i);
  void resume_store(std::size_t i);
  /// SIGTERM, then reaps it; its exit status (0 for a graceful stop), or -2 if it still ran
  /// after `bound` (it is then killed).
  int stop_store(std::size_t i, std::chrono::milliseconds bound);
  /// Starts a stopped or killed node again on its directory and its former ports.
  result<void> restart_store(std::size_t i);
  result<void> restart_pd();

 private:
  node_cluster(std::string node, std::string dir, std::vector<std::string> store_flags)
      : node_(std::move(node)), dir_(std::move(dir)), store_flags_(std::move(store_flags)) {}

  result<node_process> launch(const std::string& name, std::vector<std::string> args) const;
  void reap_all();

  std::string node_;
  std::string dir_;
  std::vector<std::string> store_flags_;
  node_process pd_;
  std::vector<node_process> stores_;
};

/// Sends `sig` to the process and waits for it; nothing if it is not running.
void reap(node_process& p, int sig);

/// How many lines of the file at `path` hold `text` (a node's log, say).
std::size_t count_in_file(const std::string& path, const std::string& text);

/// The last 4,000 bytes of the file at `path` (a node's log, for a failure message).
std::string tail_of(const std::string& path);

}  // namespace rdb::procs
