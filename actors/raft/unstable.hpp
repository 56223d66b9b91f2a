#pragma once

#include <optional>
#include <vector>

#include "actors/raft/types.hpp"

namespace rdb::raft {

/// The tail of the log (and possibly an incoming snapshot) that the application has not yet
/// made durable. Entries are at indexes [offset_, offset_ + entries_.size()).
///
/// Invariant: if a snapshot is pending, offset_ == snapshot index + 1 or entries follow it.
///
/// Entries from `in_progress_` on have not been handed to the application for persisting yet;
/// those before it are being written (several readies may be in flight).
/// Invariant: offset_ <= in_progress_ <= offset_ + entries_.size().
class unstable {
 public:
  /// The first index, if a snapshot is pending (entries alone do not tell it).
  std::optional<log_index> maybe_first_index() const;

  /// The last index held here, if any.
  std::optional<log_index> maybe_last_index() const;

  /// The term of entry `i`, if held here.
  std::optional<term_id> maybe_term(log_index i) const;

  /// Entries up to `i` of term `t` became durable. Ignored if the entry at `i` was replaced in
  /// the meantime (a new leader overwrote it), since then the durable one is stale.
  void stable_to(log_index i, term_id t);

  /// The snapshot at `i` became durable.
  void stable_snap_to(log_index i);

  /// Replaces everything by a snapshot received from the leader.
  void restore(snapshot s);

  /// Appends, replacing any suffix that conflicts with `ents` (§5.3).
  void truncate_and_append(std::vector<entry>&& ents);

  /// The entries not yet handed out for persisting.
  std::vector<entry> entries_to_persist() const;

  /// How often entries already handed out for persisting were replaced (or a snapshot came).
  /// An acknowledgement of a ready handed out before the latest replacement proves nothing:
  /// the same index and term may have come back while its write was on its way.
  std::uint64_t replacements() const { return replacements_; }

  bool has_entries_to_persist() const { return in_progress_ < offset_ + entries_.size(); }

  /// Marks every entry as handed out for persisting.
  void accept_in_progress() { in_progress_ = offset_ + entries_.size(); }

  /// Entries in [lo, hi), which must lie within this unstable tail.
  void copy_slice(log_index lo, log_index hi, std::vector<entry>& out) const;

  const std::vector<entry>& entries() const { return entries_; }
  const std::optional<snapshot>& pending_snapshot() const { return snapshot_; }
  log_index offset() const { return offset_; }
  void set_offset(log_index o) {
    offset_ = o;
    in_progress_ = o;
  }

 private:
  std::optional<snapshot> snapshot_;
  std::vector<entry> entries_;
  log_index offset_;
  log_index in_progress_;
  std::uint64_t replacements_ = 0;
};

}  // namespace rdb::raft
