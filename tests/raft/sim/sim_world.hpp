#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "actors/raft/memory_storage.hpp"
#include "actors/raft/raw_node.hpp"
#include "actors/raft/rng.hpp"
#include "tests/raft/sim/sim_checker.hpp"

/// A randomized, deterministic simulation of one raft group: N nodes in one thread, an event
/// queue ordered by (virtual time, sequence number), and a fault plan drawn from a seed.
///
/// Why it looks like this: every source of non-determinism (timing, loss, crashes) comes from
/// one seeded generator and one ordered queue, so a seed names exactly one execution. The
/// trace hash over every processed event proves it: the same seed twice gives the same hash.
///
/// The model of a node is the one the region peer implements: a ready is taken, its
/// immediate messages leave at once, and its persisted part becomes durable only when a later
/// "persist done" event fires; a crash in between loses it. The state machine (an applied
/// index and a hash chain over applied entries) is made durable together with the ready, as
/// the store writer does with apply state and data.
namespace rdb::raft::sim {

/// Knobs of one run; `from_seed` draws a fault plan, tests may override fields.
struct options {
  std::uint64_t seed = 1;
  int nodes = 3;
  bool pre_vote = true;
  bool check_quorum = true;
  /// Percent of messages lost while faults are active.
  int drop_percent = 10;
  /// Percent of messages delivered twice while faults are active.
  int duplicate_percent = 2;
  /// Messages take 1..max_delay_ms to arrive, so they reorder.
  int max_delay_ms = 20;
  /// How long the store takes to make a ready durable.
  int max_persist_ms = 8;
  /// Readies a node hands out before the oldest is durable (raft::config::max_outstanding_readies).
  std::size_t max_outstanding_readies = 1;
  /// Followers learn a new commit index only from later appends and heartbeats
  /// (raft::config::skip_bcast_commit).
  bool skip_bcast_commit = false;
  /// A crashed node restarts after 1..max_restart_ms; short restarts expose lost votes.
  int max_restart_ms = 600;
  /// Faults strike every 1..max_fault_interval_ms.
  int max_fault_interval_ms = 300;
  /// Byte cap of entries per append (raft::config::max_size_per_msg); 0 sends one entry each.
  std::uint64_t max_size_per_msg = 4096;
  /// Virtual duration of the phase with faults; afterwards everything heals.
  std::uint64_t fault_ms = 4000;
  /// After healing, a leader must be elected and every pending proposal applied by then.
  std::uint64_t liveness_bound_ms = 6000;
  bool crashes = true;
  bool partitions = true;
  bool conf_changes = true;
  bool leader_transfers = true;
  bool compaction = true;
  /// Prints every event to stdout, for replaying a failing seed by hand.
  bool trace = false;

  static options from_seed(std::uint64_t seed);
};

/// What one run did and found.
struct result {
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  std::uint64_t faults = 0;
  std::uint64_t proposals_applied = 0;
  std::uint64_t reads_checked = 0;
  std::uint64_t snapshots_applied = 0;
  std::uint64_t conf_changes_applied = 0;
  std::uint64_t trace_hash = 0;
  std::vector<std::string> violations;
  bool liveness_failure = false;
  std::string liveness_detail;
};

/// Runs one seeded simulation to the end of its liveness bound.
result run(const options& opts);

// -- internals, exposed for the implementation files --------------------------

enum class event_kind : std::uint8_t { tick, deliver, persist_done, client, fault, restart };

struct event {
  std::uint64_t time = 0;
  std::uint64_t seq = 0;
  event_kind kind = event_kind::tick;
  /// Node slot the event is for (deliver: the receiver).
  std::size_t node = 0;
  /// Guards persist and tick events against crashes that happened since they were scheduled.
  std::uint64_t incarnation = 0;
  raft::message msg;

  bool operator>(const event& other) const {
    return time != other.time ? time > other.time : seq > other.seq;
  }
};

/// The durable state machine of a node: everything applied so far, folded into a hash chain.
struct state_machine {
  log_index applied;
  std::uint64_t chain = 0;

  std::string encode() const;
  static state_machine decode(const std::string& data);
};

struct node {
  node_id id;
  std::unique_ptr<memory_storage> storage;
  std::unique_ptr<raw_node> raft;
  /// Removed from the group and destroyed; never comes back.
  bool destroyed = false;
  std::uint64_t incarnation = 0;
  /// Readies being made durable, oldest first; they become durable in this order.
  std::deque<raft::ready> outstanding;
  state_machine sm;
  /// Highest commit index seen in memory since the last restart.
  log_index last_commit;
  /// Entries up to here were checked against the cluster's committed log.
  log_index checked_commit;
};

class world {
 public:
  explicit world(const options& opts);

  result run();

 private:
  // -- scheduling --
  void schedule(event ev);
  void schedule_in(std::uint64_t delay, event_kind kind, std::size_t node, raft::message msg = {});
  void process(event& ev);

  // -- nodes --
  raft::config node_config(node_id id, log_index applied) const;
  std::size_t add_node(node_id id, const raft::snapshot* boot);
  void start(std::size_t i);
  void crash(std::size_t i);
  void destroy(node_id id);
  std::optional<std::size_t> slot_of(node_id id) const;
  bool is_up(std::size_t i) const;
  void on_tick(std::size_t i);
  void maybe_take_ready(std::size_t i);
  void on_persist_done(std::size_t i);
  void apply_entry(std::size_t i, const entry& e);
  void apply_snapshot(std::size_t i, const raft::snapshot& snap);
  void maybe_compact(std::size_t i);
  void observe(std::size_t i);

  // -- network --
  void send(const raft::message& m);
  bool blocked(node_id from, node_id to) const;
  void on_deliver(event& ev);

  // -- clients and faults --
  void on_client();
  void propose(std::string data);
  void issue_read();
  std::optional<std::size_t> leader_slot() const;
  void on_fault();
  void partition_randomly();
  void propose_conf_change();
  void heal();
  bool converged(std::string& why) const;

  void hash(std::uint64_t v);
  void print(const event& ev) const;

  options opts_;
  raft::rng rng_;
  std::priority_queue<event, std::vector<event>, std::greater<>> queue_;
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  bool healed_ = false;
  std::vector<node> nodes_;
  std::uint64_t next_node_id_ = 1;
  /// Directed links that currently lose every message.
  std::set<std::pair<node_id, node_id>> cut_;
  int drop_percent_ = 0;
  int duplicate_percent_ = 0;
  /// Client proposals not yet applied anywhere, by sequence number.
  std::map<std::uint64_t, std::uint64_t> pending_;
  std::uint64_t next_proposal_ = 1;
  std::uint64_t next_read_ = 1;
  /// Read context -> highest index applied anywhere when the read was issued.
  std::map<std::string, log_index> reads_;
  checker checker_;
  result result_;
};

}  // namespace rdb::raft::sim
