#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/raft/memory_storage.hpp"
#include "actors/raft/raw_node.hpp"

namespace rdb::raft::test {

inline node_id nid(std::uint64_t v) {
  return node_id{v};
}
inline term_id tid(std::uint64_t v) {
  return term_id{v};
}
inline log_index idx(std::uint64_t v) {
  return log_index{v};
}

/// One member: its storage, its raft node and what it applied.
struct peer {
  config cfg;
  memory_storage storage;
  std::unique_ptr<raw_node> node;
  /// Data of applied normal entries with non-empty data, in order.
  std::vector<std::string> applied;
  /// Every applied entry (including empty ones and conf changes).
  std::vector<entry> applied_entries;
  std::vector<read_state> reads;
  /// Every ready this peer produced, for tests that inspect the ready stream.
  std::vector<ready> readys;
};

/// Options shared by all members of a test cluster.
struct net_options {
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = false;
  bool check_quorum = false;
  bool skip_bcast_commit = false;
  std::uint64_t max_size_per_msg = std::numeric_limits<std::uint64_t>::max();
  std::size_t max_inflight_msgs = 256;
  std::uint64_t max_uncommitted_entries_size = 0;
  std::uint64_t seed = 1;
};

/// A deterministic in-memory cluster for scenario tests: every node's ready is persisted to its
/// memory storage, applied and advanced by `settle()`, and messages travel through one FIFO
/// queue. Partitions and message filters decide what is dropped. No threads, no clocks.
class network {
 public:
  /// Builds a cluster: `voters` and `learners` form the initial membership of every member.
  explicit network(std::vector<std::uint64_t> voters, net_options opts = {},
                   std::vector<std::uint64_t> learners = {});

  peer& at(std::uint64_t id);
  raw_node& node(std::uint64_t id) { return *at(id).node; }
  std::vector<std::uint64_t> ids() const;

  // -- driving --

  /// Handles readys and delivers messages until nothing moves.
  void settle();

  /// Handles one ready of `id` (if any): persists, applies, advances, queues its messages.
  bool handle_ready(std::uint64_t id);

  /// Campaigns on `id` and settles.
  void elect(std::uint64_t id);

  /// Ticks `id` n times, settling after each tick.
  void tick(std::uint64_t id, int n = 1);

  /// Ticks every node n times, settling after each round.
  void tick_all(int n = 1);

  /// Proposes on `id` and settles; returns the proposal's result.
  std::expected<void, error> propose(std::uint64_t id, std::string data);

  /// Queues a message as if sent over the network.
  void send(message m) { queue_.push_back(std::move(m)); }

  // -- faults --

  /// Drops every message to or from `id`.
  void isolate(std::uint64_t id);
  /// Drops messages between the two groups.
  void partition(std::set<std::uint64_t> a, std::set<std::uint64_t> b);
  /// Drops messages from `from` to `to`.
  void cut(std::uint64_t from, std::uint64_t to);
  void heal();
  /// Drops messages for which `pred` returns true.
  std::function<bool(const message&)> drop_if;
  /// Called for every message that is delivered (after filtering), before the step.
  std::function<void(const message&)> on_deliver;

  /// When set, outgoing messages are kept in `held` instead of being queued.
  bool hold = false;
  std::vector<message> held;

  /// Crashes `id` (losing nothing: memory storage is durable here) and restarts it from its
  /// storage, with `applied` set to what it had applied.
  void restart(std::uint64_t id);

  /// Adds a brand new member process with an empty log (it learns the membership from the
  /// leader via snapshot or log).
  void add_peer(std::uint64_t id);

  /// Replaces the log of `id` before anything happened: entry i (1-based) gets `terms[i-1]`;
  /// the hard state gets `term` and `commit`. The node is rebuilt from that storage.
  void preload(std::uint64_t id, const std::vector<std::uint64_t>& terms, std::uint64_t term,
               std::uint64_t commit = 0);

  /// Re-founds every member as if bootstrapped from a snapshot at (`index`, `term`) holding the
  /// initial membership (what TiKV does with its initial log index): the log of every founding
  /// member then starts compacted, so a replica added later is always caught up by snapshot.
  void bootstrap_at(std::uint64_t index, std::uint64_t term);

  /// Number of messages delivered so far.
  std::size_t delivered = 0;

 private:
  bool dropped(const message& m) const;
  void make_node(peer& p);

  net_options opts_;
  conf_state conf_;
  std::map<std::uint64_t, std::unique_ptr<peer>> peers_;
  std::deque<message> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cuts_;
};

/// The log (index, term) pairs of a node's storage plus unstable tail, for comparisons.
std::vector<std::pair<std::uint64_t, std::uint64_t>> log_terms(memory_storage& s);

/// Finds the first message of type `t` in `msgs`, or nullptr.
const message* find_msg(const std::vector<message>& msgs, message_type t);

}  // namespace rdb::raft::test
