#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "actors/raft/ready.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// How a leader currently replicates to one follower.
enum class progress_state : std::uint8_t {
  /// One append per heartbeat interval until the match point is found.
  probe = 0,
  /// Optimistic pipelining within the inflight window.
  replicate = 1,
  /// A snapshot is in flight; appends wait for it.
  snapshot = 2,
};

std::string_view to_string(progress_state s);

/// The leader's view of one peer.
struct progress_status {
  node_id id{};
  log_index match{};
  log_index next{};
  progress_state state = progress_state::probe;
  log_index pending_snapshot{};
  bool recent_active = false;
  bool paused = false;
  bool is_learner = false;
  std::size_t inflight = 0;

  bool operator==(const progress_status&) const = default;
};

/// A snapshot of a node's state for monitoring and tests.
struct status {
  node_id id{};
  term_id term{};
  node_id vote{};
  log_index commit{};
  log_index applied{};
  raft::role role = raft::role::follower;
  node_id leader{};
  node_id lead_transferee{};
  raft::conf_state conf{};
  /// Filled on the leader only, sorted by id.
  std::vector<progress_status> progress{};
};

}  // namespace rdb::raft
