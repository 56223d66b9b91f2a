#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/config.hpp"
#include "actors/raft/errors.hpp"
#include "actors/raft/log_storage.hpp"
#include "actors/raft/message.hpp"
#include "actors/raft/ready.hpp"
#include "actors/raft/status.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

class core;

/// The application's handle on one raft group member: feeds inputs, collects `ready`s,
/// acknowledges them. Single-threaded and deterministic: the same inputs (and seed) give the
/// same outputs. Nothing here blocks or does IO.
///
/// Contract of the ready cycle: up to `config::max_outstanding_readies` readies may be handed out
/// before the first of them is acknowledged; `advance()` acknowledges them oldest first, once
/// each is durable (an application writes them in order, so a later ready's entries land after
/// an earlier one's and overwrite any it replaced). With the pipeline full, `has_ready()` is
/// false; inputs (step, tick, propose, ...) may still arrive and their effects show up in the
/// next ready. Messages that stand for durable state (a vote, an append acknowledgement) travel
/// in `persisted_messages`, to be sent once that ready is durable; those to this node itself are
/// held back and delivered by `advance()`. A ready with a snapshot is handed out alone.
///
/// Membership: founding members start with the group's membership in their storage; a member
/// added later starts empty and catches up by snapshot (see `memory_storage`). Changes take
/// effect when applied (`apply_conf_change`), one at a time.
class raw_node {
 public:
  /// Builds a node from a validated config and its storage (which must outlive the node).
  /// On restart, hard state, membership and log are read from `storage`.
  raw_node(const config& cfg, log_storage& storage);

  raw_node(raw_node&&) noexcept;
  raw_node& operator=(raw_node&&) noexcept;
  ~raw_node();

  // -- inputs --

  /// Advances logical time by one tick (election and heartbeat timers).
  void tick();

  /// Starts an election now (pre-vote first if enabled).
  void campaign();

  /// Feeds a message received from a peer. Local-only types are refused with `step_local_msg`;
  /// responses from unknown peers with `step_peer_not_found`.
  std::expected<void, error> step(message m);

  /// Proposes one entry. `proposal_dropped` if there is no leader to take it (or it is
  /// transferring leadership, or the uncommitted tail is full).
  std::expected<void, error> propose(std::string data);

  /// Proposes several entries in one step; they are appended contiguously.
  std::expected<void, error> propose_batch(std::vector<std::string> data);

  /// Proposes a membership change. The leader accepts only one pending change at a time and only
  /// after committing an entry of its own term; a refused change is dropped.
  std::expected<void, error> propose_conf_change(const conf_change& cc);

  /// Applies a committed conf change entry's change; returns the membership now in effect.
  /// The application calls this when it applies the entry (not when it is proposed).
  raft::conf_state apply_conf_change(const conf_change& cc);

  /// Asks the leader to hand leadership to `transferee` (Raft thesis §3.10).
  void transfer_leader(node_id transferee);

  /// Requests a linearizable read; the answer comes as a `read_state` carrying `context`.
  std::expected<void, error> read_index(std::string context);

  /// Tells the leader that `id` could not be reached; replication to it falls back to probing.
  void report_unreachable(node_id id);

  /// Tells the leader whether the snapshot sent to `id` was installed.
  void report_snapshot(node_id id, bool ok);

  /// On a leader: sends every follower a heartbeat now, with the commit index it may take,
  /// rather than at the next heartbeat tick (with `config::skip_bcast_commit`, for an entry
  /// whose apply should not wait, a split say). Does nothing on a follower or candidate.
  void broadcast_commit();

  // -- ready cycle --

  /// True if there is something to persist, send or apply and the pipeline has room.
  bool has_ready() const;

  /// Collects everything pending. Call only when `has_ready()`.
  raft::ready ready();

  /// Acknowledges `rd`, the oldest outstanding ready: its entries, snapshot and hard state are
  /// durable and its committed entries have been applied (or handed to an ordered apply stage).
  /// Only `rd.number` is read, so the application may move the vectors out of `rd` (into a write
  /// batch, say) before calling this.
  void advance(const raft::ready& rd);

  // -- observers --

  raft::status status() const;
  node_id id() const;
  term_id term() const;
  node_id leader() const;
  raft::role role() const;
  log_index commit_index() const;
  log_index applied_index() const;

  /// Whether this node's commit index may serve a linearizable read without a ReadIndex round,
  /// provided the application knows that a quorum heard from it recently enough (a lease, kept
  /// by the application with a real clock: this core has only ticks). True on a leader with
  /// CheckQuorum (followers that heard from it within an election timeout refuse to vote,
  /// core.cpp), an entry of its own term committed (so its commit index covers every earlier
  /// leader's), no leader transfer in flight (the transferee campaigns past those refusals),
  /// and no membership change proposed and not yet applied.
  bool lease_read_possible() const;

 private:
  std::unique_ptr<core> core_;
  raft::soft_state prev_soft_;
  raft::hard_state prev_hard_;
  std::uint64_t ready_number_ = 0;
  std::size_t max_outstanding_ = 1;

  /// What `advance` needs to know about an outstanding ready.
  struct outstanding {
    std::uint64_t number = 0;
    entry last_entry;
    log_index snapshot_index;
    log_index last_committed;
    std::uint64_t committed_bytes = 0;
    /// `raft_log::replacements` when handed out.
    std::uint64_t replacements = 0;
    /// Messages to self, delivered by `advance`.
    std::vector<message> self_messages;
  };
  /// Oldest first.
  std::deque<outstanding> outstanding_;
};

}  // namespace rdb::raft
