#pragma once

#include <cstdint>
#include <expected>
#include <limits>

#include "actors/raft/errors.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// Everything a raft node needs to know that is not persisted state. Time is counted in ticks:
/// the caller decides how long a tick lasts.
struct config {
  /// This node's id; must not be zero.
  node_id id;

  /// A follower that hears nothing from a leader for a randomized timeout in
  /// [election_tick, 2 * election_tick) starts an election (§5.2). Must exceed heartbeat_tick.
  int election_tick = 10;

  /// A leader sends heartbeats every heartbeat_tick ticks.
  int heartbeat_tick = 1;

  /// Restart only: the index the state machine has already applied. Committed entries up to here
  /// are not handed out again. Zero means "from the beginning of the log".
  log_index applied;

  /// Upper bound on the byte size of entries in one append message. 0 means one entry per
  /// message; the maximum value means no limit.
  std::uint64_t max_size_per_msg = std::numeric_limits<std::uint64_t>::max();

  /// Upper bound on the byte size of committed entries handed out in one ready; at least one
  /// entry is always handed out.
  std::uint64_t max_committed_size_per_ready = std::numeric_limits<std::uint64_t>::max();

  /// How many readies may be handed out before the oldest is acknowledged (see `raw_node`).
  /// More than one lets new entries go to disk while earlier ones are still being written.
  std::size_t max_outstanding_readies = 1;

  /// Upper bound on the byte size of the leader's uncommitted tail; proposals beyond it are
  /// dropped. 0 means no limit.
  std::uint64_t max_uncommitted_entries_size = 0;

  /// How many append messages may be in flight to one follower in replicate state.
  std::size_t max_inflight_msgs = 256;

  /// Upper bound on the byte size of entries in flight to one follower. 0 means no limit.
  std::uint64_t max_inflight_bytes = 0;

  /// A leader steps down if a quorum of voters has not been heard from within an election
  /// timeout; followers that heard from a leader recently refuse to vote (leader lease).
  bool check_quorum = false;

  /// With check_quorum: for one election timeout after the node is built, refuse votes as if a
  /// leader had just been heard from. A member that restarts forgets the leader it heard, and
  /// would otherwise help elect a new leader at once while the old one still counts on this
  /// member's refusal (a lease read, thesis §6.4.1). The application sets it for a member with
  /// history; a member of a group that never had a leader has nobody's lease to protect.
  bool refuse_votes_after_start = false;

  /// Before campaigning, a node asks whether it could win (Raft thesis §9.6), so a partitioned
  /// node rejoining does not force a term change.
  bool pre_vote = false;

  /// When an acknowledgement moves the commit index, the leader does not send every follower
  /// an append just to say so: followers learn it from the next append or heartbeat. Saves a
  /// message, a ready and a log write on each follower per commit, at the cost of followers
  /// applying up to a heartbeat later. While a membership change is pending the leader still
  /// tells them at once (the change takes effect on a member when it applies it).
  bool skip_bcast_commit = false;

  /// Followers reject local proposals instead of forwarding them to the leader.
  bool disable_proposal_forwarding = false;

  /// Seed of the deterministic generator that randomizes election timeouts.
  std::uint64_t seed = 0;

  /// Checks the invariants above; a `raw_node` must only be built from a valid config.
  std::expected<void, error> validate() const;
};

}  // namespace rdb::raft
