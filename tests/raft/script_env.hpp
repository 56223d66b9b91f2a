#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "actors/raft/memory_storage.hpp"
#include "actors/raft/raw_node.hpp"
#include "tests/raft/script_parser.hpp"

/// A little cluster for the interaction scripts: raft nodes, their in-memory storage and state
/// machines, and one network queue, all stepped by hand. Nothing happens unless a command says
/// so, which is what makes every printed line reproducible.
///
/// Commands (ID is a node id, (a,b) a list):
///   add-nodes N [voters=(..)] [learners=(..)] [index=I] [pre-vote=B] [check-quorum=B]
///       [election=T] [heartbeat=T] [max-inflight=N] [max-inflight-bytes=N]
///       [max-size-per-msg=N] [max-committed-size=N] [max-uncommitted-size=N]
///       [disable-forwarding=B]          N new nodes with the next free ids; index=I bootstraps
///                                       them from a term-1 snapshot at I (defaults: 3/1 ticks)
///   campaign ID | propose ID DATA | read-index ID CTX
///   propose-conf-change ID type=add-voter|add-learner|remove node=N
///   transfer-leader from=ID to=ID
///   tick ID N | tick-election ID | tick-heartbeat ID
///   process-ready [ID..]                persist, send, apply (conf changes too), advance
///   deliver-msgs [ID..] [drop=(ID..)] [limit=N]   step queued messages (or drop them)
///   stabilize [ID..]                    process-ready and deliver-msgs until nothing moves
///   partition (ID..) (ID..) .. | drop from=ID to=ID | heal   cut links (both ways / one way)
///   status ID | raft-state | raft-log ID | applied ID
///   compact ID [I]                      snapshot the state machine at I (= applied, the
///                                       default) and discard the log up to I
///   restart ID                          rebuild the node from its storage
///   crash ID                            take a ready, send only its plain messages, restart
///   report-unreachable ID PEER | report-snapshot ID PEER [ok=B]
namespace rdb::raft::script {

/// One member as the application around a raw_node sees it.
struct node_slot {
  raft::config cfg;
  /// Owned separately: the raw_node keeps a reference, and the slot may move.
  std::unique_ptr<raft::memory_storage> storage;
  std::optional<raft::raw_node> node;
  /// The state machine: data of every applied normal entry, in order. It survives restarts
  /// together with `applied`, like a state machine persisted with its applied index.
  std::vector<std::string> applied_data;
  raft::log_index applied;
  /// Membership in effect after the last applied conf change or snapshot.
  raft::conf_state conf;
};

class env {
 public:
  /// Runs one command and returns its output (never empty, no trailing newline).
  std::string run(const command& c);

 private:
  // -- script_commands.cpp: one handler per command --

  void add_nodes(const command& c, std::ostream& os);
  void process_ready_cmd(const command& c, std::ostream& os);
  void deliver_msgs_cmd(const command& c, std::ostream& os);
  void stabilize(const command& c, std::ostream& os);
  void partition(const command& c, std::ostream& os);
  void compact(const command& c, std::ostream& os);
  void restart(const command& c, std::ostream& os);
  void crash(const command& c, std::ostream& os);
  void propose_conf_change(const command& c, std::ostream& os);

  // -- script_env.cpp: the application loop --

  node_slot& slot(std::uint64_t id);
  node_slot& slot_arg(const command& c);
  /// Handles one ready of `id` the way an application must (see raft::ready): persist, send,
  /// apply, advance. Prints it; returns false if the node had nothing ready.
  bool process_ready(std::uint64_t id, std::ostream& os);
  void apply_committed(node_slot& s, const raft::entry& e, std::ostream& os);
  /// Steps the first `limit` queued messages addressed to `id` into it, in queue order.
  /// Messages on a cut link are dropped instead. Returns the number taken off the queue.
  std::size_t deliver(std::uint64_t id, std::ostream& os,
                      std::size_t limit = std::numeric_limits<std::size_t>::max());
  /// Drops the first `limit` queued messages addressed to `id`.
  std::size_t drop_to(std::uint64_t id, std::ostream& os, std::size_t limit);
  bool has_msgs_for(std::uint64_t id) const;
  /// Puts `m` on the network unless its link is cut.
  void send(const raft::message& m, std::ostream& os);
  bool link_cut(raft::node_id from, raft::node_id to) const;
  std::string snapshot_data(const node_slot& s) const;

  std::map<std::uint64_t, node_slot> nodes_;
  /// Messages in flight, in the order they were sent.
  std::vector<raft::message> network_;
  /// Directed links that drop everything: (from, to).
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut_;
};

}  // namespace rdb::raft::script
