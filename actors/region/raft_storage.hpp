#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "actors/raft/log_storage.hpp"
#include "actors/store/writer_types.hpp"
#include "storage/engines.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/store.hpp"
#include "storage/types.hpp"

namespace rdb {

/// The raft log of one region replica, read from the store's log engine.
///
/// The raft core asks for first/last index and the terms at both ends on nearly every step;
/// those answers come from a cache, so the hot path asks the engine nothing. The entries persisted
/// since the last apply are kept in memory too (bounded by `entry_cache_bytes`), so applying
/// them and replicating them to followers that keep up read nothing back from disk. Entries
/// further back (a lagging follower's catch-up) are read from the engine's segment files.
///
/// Who writes: only the store writer, in a `write_task` this replica built from a ready. The
/// replica calls `on_persisted` with that task once the writer acknowledged it, before
/// advancing raft, which keeps the cache equal to what is on disk (etcd's contract: storage is
/// updated before `advance`). Used from the region peer's actor only; not thread-safe.
///
/// Snapshots are made off the peer (a snapshot worker, actors/region/region_snapshot.hpp):
/// `snapshot()` answers the one prepared last while it still reaches the log (its index is at
/// or past the truncated one), and otherwise asks for a new one (`take_snapshot_wanted`) and
/// answers `snapshot_temporarily_unavailable`; the leader tries again later.
///
/// A received snapshot is installed kv environment first, then the log (see
/// actors/region/peer_snapshot.cpp). A crash between the two leaves the kv apply state
/// truncated past the log's: `open` then takes the kv side as the truth (the snapshot is in)
/// and the log as empty after it, and `log_reset_pending` says the log must still be reset.
class raft_storage final : public raft::log_storage {
 public:
  /// Bytes of entries (as `raft::entry_size` counts them) one replica keeps in memory at most;
  /// the oldest go first when more arrive.
  static constexpr std::uint64_t entry_cache_bytes = 1 << 20;

  /// Loads the cached state of `region` from `st`: log, hard state and truncated index from
  /// the raft environment, applied index and region meta from the kv environment. Fails with
  /// `not_found` if the kv environment has no founding record (the region was never founded on
  /// this store) and with `storage_corrupt` if the applied index is past the log. A log with
  /// nothing of the region (a region a split founded in the kv environment alone) is taken as
  /// empty and truncated where the kv environment says, and `log_reset_pending` is set.
  static storage::result<std::unique_ptr<raft_storage>> open(const storage::engines& st,
                                                             region_id region);

  /// The storage of a replica created by a raft message (see peer::open): no range, no data,
  /// an empty log at index 0 and an empty membership, until a snapshot brings them. Only the
  /// term a replica of the region left in the log engine is kept, so the term never goes back;
  /// entries the log engine may still hold (a destroy cut short by a crash) are ignored, and
  /// the snapshot's install clears them. Fails with `invalid_argument` if the store holds an
  /// initialized replica of the region (one whose region state is not a tombstone).
  static storage::result<std::unique_ptr<raft_storage>> open_uninitialized(
      const storage::engines& st, region_id region);

  // -- log_storage --------------------------------------------------------------------------

  std::expected<raft::storage_state, raft::error> initial_state() override;
  std::expected<std::vector<raft::entry>, raft::error> entries(raft::log_index lo,
                                                               raft::log_index hi,
                                                               std::uint64_t max_bytes) override;
  std::expected<raft::term_id, raft::error> term(raft::log_index i) override;
  std::expected<raft::log_index, raft::error> first_index() override;
  std::expected<raft::log_index, raft::error> last_index() override;
  std::expected<raft::snapshot, raft::error> snapshot() override;

  // -- after a write ------------------------------------------------------------------------

  /// Folds a task the writer made durable into the cache.
  void on_persisted(const write_task& task);

  /// Drops the log up to `up_to` from this view as the replica hands the same compaction to
  /// the log writer: nothing will ask for those entries any more, whether or not the engine
  /// has dropped them yet. False (and nothing changes) if `up_to` is not past the truncated
  /// index or beyond the applied one.
  bool compact(raft::log_index up_to);

  // -- snapshots ----------------------------------------------------------------------------

  /// Keeps `snap` (made by the snapshot worker from region meta `meta`) for `snapshot()`;
  /// answers the snapshot no longer kept (the one replaced, or `snap` itself if it was made
  /// under an older membership than the replica has now: a new member would not find itself
  /// in it, so the next request makes another).
  std::optional<raft::snapshot> prepare(raft::snapshot snap, const storage::region_epoch& made_at);
  /// Whether raft asked for a snapshot that is not prepared, since the last call.
  bool take_snapshot_wanted() { return std::exchange(snapshot_wanted_, false); }
  /// The snapshot at `index` (`term`) is installed on both engines, with `hs` (if set) and
  /// region state `rs`: the log is empty after it.
  void on_installed(raft::log_index index, raft::term_id term,
                    const std::optional<raft::hard_state>& hs,
                    const storage::region_local_state& rs);
  /// Set by `open` when a snapshot's install reached the kv environment but not the log.
  bool log_reset_pending() const { return log_reset_pending_; }

  // -- observers ----------------------------------------------------------------------------

  region_id region() const { return region_; }
  /// False while the replica waits for its first snapshot (see `open_uninitialized`).
  bool initialized() const { return local_.state == storage::peer_state::normal; }
  const raft::hard_state& hard_state() const { return hard_; }
  const storage::apply_state& apply_state() const { return apply_; }
  const storage::region_local_state& region_state() const { return local_; }
  raft::log_index last() const { return last_; }
  raft::term_id last_term() const { return last_term_; }
  /// Counts reads from the engine (entries or terms not in the cache), for tests and stats.
  std::uint64_t disk_reads() const { return disk_reads_; }
  /// Entries held in memory.
  std::size_t cached_entries() const { return cache_.size(); }

  /// The raft membership a region meta describes.
  static raft::conf_state conf_state_of(const storage::region_meta& meta);

 private:
  raft_storage(std::shared_ptr<storage::log_engine> log, region_id region)
      : log_(std::move(log)), region_(region) {}

  static raft::error to_raft_error(const storage::error& e);

  /// Appends what the writer persisted, replacing a conflicting suffix.
  void cache_entries(const std::vector<raft::entry>& ents);
  /// Drops applied entries, then the oldest beyond the byte bound.
  void evict();
  /// True if the cache holds every entry of [lo, last_].
  bool cached_from(raft::log_index lo) const {
    return !cache_.empty() && lo >= cache_.front().index;
  }

  std::shared_ptr<storage::log_engine> log_;
  region_id region_;
  raft::hard_state hard_;
  storage::apply_state apply_;
  storage::region_local_state local_;
  /// Last index and its term; equal to the truncated ones when the log is empty.
  raft::log_index last_;
  raft::term_id last_term_;
  std::uint64_t disk_reads_ = 0;
  /// Consecutive entries ending at `last_` (or empty).
  std::deque<raft::entry> cache_;
  std::uint64_t cache_bytes_ = 0;
  std::optional<raft::snapshot> prepared_;
  storage::region_epoch prepared_epoch_;
  bool snapshot_wanted_ = false;
  bool log_reset_pending_ = false;
};

}  // namespace rdb
