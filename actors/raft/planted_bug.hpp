#pragma once

#include <cstdint>

namespace rdb::raft {

#ifdef RDB_RAFT_PLANTED_BUGS

/// Deliberate protocol violations for validating that the simulation and the clause tests catch
/// them. Compiled only into `raft_planted_lib`; the production library has none of this.
enum class planted_bug_kind : std::uint8_t {
  none = 0,
  /// The leader commits an entry of an earlier term by counting replicas (Figure 8).
  commit_old_term_by_counting = 1,
  /// Vote grants go out as immediate messages, before the vote is durable (§5.1).
  vote_before_persist = 2,
  /// The leader serves ReadIndex before committing an entry of its own term (§6.4).
  read_index_before_own_term_commit = 3,
  /// Votes are granted without checking that the candidate's log is up to date (§5.4.1).
  vote_ignores_log = 4,
};

/// Selects the active planted bug; defaults to none. Not thread-safe: set it before running.
extern planted_bug_kind planted_bug;

/// True if `k` is the active planted bug.
inline bool planted(planted_bug_kind k) {
  return planted_bug == k;
}

#endif

}  // namespace rdb::raft
