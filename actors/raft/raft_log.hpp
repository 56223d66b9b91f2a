#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <utility>
#include <vector>

#include "actors/raft/log_storage.hpp"
#include "actors/raft/unstable.hpp"

namespace rdb::raft {

/// A node's whole log: the durable part in `log_storage`, the rest in `unstable`, plus the
/// commit and apply cursors.
///
/// Invariant: applied_ <= applying_ <= committed_ <= last_index(). The commit index never moves
/// backwards (§5.3: a committed entry stays committed). Committed entries up to `applying_` have
/// been handed out to be applied; those up to `applied_` are applied.
class raft_log {
 public:
  raft_log(log_storage& storage, std::uint64_t max_applying_size);

  // -- indexes and terms --

  log_index first_index() const;
  log_index last_index() const;
  term_id last_term() const;

  /// Term of entry `i`; `compacted` below the snapshot, `unavailable` beyond the last entry.
  std::expected<term_id, error> term(log_index i) const;

  /// Term of entry `i`, or zero if it is not available.
  term_id term_or_zero(log_index i) const;

  bool match_term(log_index i, term_id t) const;

  /// Voting restriction of §5.4.1: a candidate's log (last index and term) is at least as
  /// up to date as ours.
  bool is_up_to_date(log_index lasti, term_id t) const;

  log_index committed() const { return committed_; }
  log_index applied() const { return applied_; }

  // -- appending --

  /// Follower side of AppendEntries (§5.3): if our entry at `index` has `log_term`, appends
  /// `ents` (replacing a conflicting suffix), commits up to min(committed, last new index) and
  /// returns the last new index.
  std::optional<log_index> maybe_append(log_index index, term_id log_term, log_index committed,
                                        std::vector<entry>&& ents);

  /// Appends entries after the last one (or replacing a suffix); returns the new last index.
  log_index append(std::vector<entry>&& ents);

  /// The first index where `ents` disagree with our log (zero if none): a new entry or a term
  /// mismatch.
  log_index find_conflict(const std::vector<entry>& ents) const;

  /// The largest index <= `index` whose term is <= `t`, with its term: the best guess at where
  /// a leader whose entry at `index` has term `t` matches our log (fast back-off).
  std::pair<log_index, term_id> find_conflict_by_term(log_index index, term_id t) const;

  // -- reading --

  /// Entries from `i` on, at most `max_bytes` (but at least one).
  std::expected<std::vector<entry>, error> entries(log_index i, std::uint64_t max_bytes) const;

  /// Entries in [lo, hi), at most `max_bytes` (but at least one).
  std::expected<std::vector<entry>, error> slice(log_index lo, log_index hi,
                                                 std::uint64_t max_bytes) const;

  /// Every entry still held, for tests.
  std::vector<entry> all_entries() const;

  std::expected<raft::snapshot, error> snapshot() const;

  // -- commit and apply --

  /// Commits `max_index` if its entry has term `t`: entries of earlier terms are never committed
  /// by counting replicas (§5.4.2, Figure 8), only indirectly.
  bool maybe_commit(log_index max_index, term_id t);

  void commit_to(log_index i);
  void applied_to(log_index i);

  /// Committed entries up to `i` have been handed out to be applied.
  void applying_to(log_index i);

  bool has_next_committed_ents() const;
  std::vector<entry> next_committed_ents() const;

  // -- persistence --

  /// Entries not yet handed out for persisting; `accept_in_progress` hands them out.
  std::vector<entry> entries_to_persist() const { return unstable_.entries_to_persist(); }
  bool has_entries_to_persist() const { return unstable_.has_entries_to_persist(); }
  void accept_in_progress() { unstable_.accept_in_progress(); }
  std::uint64_t replacements() const { return unstable_.replacements(); }
  bool has_pending_snapshot() const { return unstable_.pending_snapshot().has_value(); }
  const std::optional<raft::snapshot>& pending_snapshot() const {
    return unstable_.pending_snapshot();
  }
  void stable_to(log_index i, term_id t) { unstable_.stable_to(i, t); }
  void stable_snap_to(log_index i) { unstable_.stable_snap_to(i); }

  /// Replaces the log by a snapshot (the follower side of InstallSnapshot, §7).
  void restore(raft::snapshot s);

 private:
  log_storage& storage_;
  unstable unstable_;
  log_index committed_;
  log_index applied_;
  log_index applying_;
  std::uint64_t max_applying_size_;
};

}  // namespace rdb::raft
