#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/types.hpp"

namespace rdb {

/// The client sessions of one region replica: at apply, it tells a new write from a retry of
/// one already applied, so that a write a client sent twice (its answer was lost, or the leader
/// changed under it) changes the data once.
///
/// Every replica applies the same entries in the same order and so makes the same decisions.
/// The sessions are derived from the log: writing every change with every apply batch would
/// rewrite session pages next to the data ones, so they reach disk as checkpoints instead,
/// each written in an apply batch with the applied index it stands for (the session index).
/// A replica restarted from disk loads the checkpoint and replays the writes of the log entries
/// after it up to its applied index, which makes the same decisions again. A compare-and-swap
/// that fails forces a checkpoint in its own batch, since a replay cannot see the value it
/// compared against. The log must therefore keep every entry after the session index (log
/// compaction stops there, or checkpoints first).
///
/// A client may have several writes in flight: each carries its sequence number and the
/// client's lowest unanswered one (`first_incomplete`), below which it never sends again.
/// Two bounds keep the table small, and both trade the guarantee for memory only for a client
/// that ignores them: a session remembers at most `max_applied` numbers at or above its
/// watermark (a retry of a forgotten one would be applied again), and a region keeps at most
/// `max_sessions` sessions, dropping the one whose latest write is oldest in log order.
class session_table {
 public:
  struct limits {
    std::size_t max_sessions = 100000;
    std::size_t max_applied = 1024;
    /// Applied entries between checkpoints, at most: what a restart replays.
    std::uint64_t checkpoint_entries = 10000;
  };

  explicit session_table(limits l) : limits_(l) {}

  /// Replaces the table with a checkpoint read from disk, standing for applied index `index`
  /// (no changes to write).
  void load(std::vector<storage::client_session> sessions, raft::log_index index);

  /// Whether the write `seq` of `client`, committed at `index`, is to be applied: false for a
  /// write applied before. A new write is recorded. Client 0 or sequence 0 asks for no dedup.
  bool admit(std::uint64_t client, std::uint64_t seq, std::uint64_t first_incomplete,
             raft::log_index index);

  /// Records that the write `seq` of `client`, just admitted, was a compare-and-swap that did
  /// not swap.
  void record_failed(std::uint64_t client, std::uint64_t seq);
  /// Whether the applied write `seq` of `client` is recorded as a compare-and-swap that did not
  /// swap.
  bool failed(std::uint64_t client, std::uint64_t seq) const;

  /// The next apply batch carries a checkpoint, changed or not: the log before it is about to
  /// be compacted, and a restart must not need it.
  void require_checkpoint() { checkpoint_required_ = true; }

  /// Whether the apply batch that ends at `applied` should carry a checkpoint: enough entries
  /// went by since the last one, a compare-and-swap failed, or one is required.
  bool checkpoint_due(raft::log_index applied) const;

  /// What changed since the last checkpoint, which is now the one at `applied`: sessions to
  /// write and clients whose session to delete.
  std::pair<std::vector<storage::client_session>, std::vector<std::uint64_t>> take_changes(
      raft::log_index applied);

  std::size_t size() const { return sessions_.size(); }
  /// Every session, in client id order (a snapshot carries them whole).
  std::vector<storage::client_session> all() const;
  /// The session of `client`, or null.
  const storage::client_session* find(std::uint64_t client) const;

 private:
  void evict_oldest();

  limits limits_;
  std::map<std::uint64_t, storage::client_session> sessions_;
  /// (last_index, client) of every session: the first is the one idle longest.
  std::set<std::pair<std::uint64_t, std::uint64_t>> by_index_;
  std::set<std::uint64_t> changed_;
  std::set<std::uint64_t> ended_;
  raft::log_index checkpoint_;
  /// A failed compare-and-swap awaits its checkpoint.
  bool must_checkpoint_ = false;
  bool checkpoint_required_ = false;
};

}  // namespace rdb
