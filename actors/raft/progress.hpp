#pragma once

#include "actors/raft/inflights.hpp"
#include "actors/raft/status.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// A leader's view of one follower's log (Figure 2: nextIndex, matchIndex) plus the flow
/// control state that decides when the next append may be sent.
///
/// Invariant: match_ < next_ (the follower holds everything up to match_, and next_ is the
/// first index the leader will send).
class progress {
 public:
  progress(log_index match, log_index next, std::size_t max_inflight,
           std::uint64_t max_inflight_bytes, bool learner);

  // -- state transitions --

  void become_probe();
  void become_replicate();
  void become_snapshot(log_index snapshot_index);

  // -- events --

  /// An append carrying `count` entries (`bytes` in size) starting at `next_index` was sent.
  void update_on_entries_send(std::size_t count, std::uint64_t bytes, log_index next_index);

  /// The follower acknowledged everything up to `n`. Returns true if match moved forward.
  bool maybe_update(log_index n);

  /// The follower rejected an append at `rejected`; `match_hint` is the best guess at the last
  /// matching index. Returns false for a stale rejection.
  bool maybe_decr_to(log_index rejected, log_index match_hint);

  /// True if no further append should be sent now.
  bool is_paused() const;

  /// True if sending `commit` could move the follower's commit index: it is news to the
  /// follower and the follower's commit is not yet known to reach next - 1.
  bool can_bump_commit(log_index commit) const {
    return commit > sent_commit && sent_commit + 1 < next;
  }

  // -- fields --

  log_index match;
  log_index next;
  progress_state state = progress_state::probe;
  /// The highest commit index sent to the follower in an append.
  log_index sent_commit;
  /// In snapshot state: the index of the snapshot being sent.
  log_index pending_snapshot;
  /// Heard from within the last election timeout (check quorum).
  bool recent_active = false;
  /// In probe state: one append is outstanding. In replicate state: the window is full.
  bool msg_app_flow_paused = false;
  raft::inflights inflights;
  bool is_learner = false;

 private:
  void reset_state(progress_state s);
};

}  // namespace rdb::raft
