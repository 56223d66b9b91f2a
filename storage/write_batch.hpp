#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

namespace rdb::storage {

/// Changes to any of a store's databases, collected in memory and committed by
/// `store::write` as ONE LMDB write transaction with ONE durable sync: either every change
/// of the batch is on disk afterwards or none is. This is the unit of group commit: the store
/// writer puts many regions' log appends, hard states, apply states and applied data into one
/// batch.
///
/// Operations take effect in the order they were added, each seeing the ones before it. The
/// batch only records; all checks run when the batch is written, before anything is changed.
///
/// Data operations name the region that owns the key so the region's approximate size can be
/// kept up to date in the same transaction (see `read_view::approximate_size`). Passing a none
/// region id skips that accounting.
class write_batch {
 public:
  // -- raft log ---------------------------------------------------------------------------

  /// Appends entries with consecutive indexes. Everything the region's log holds at or after
  /// the first new index is deleted first (a conflicting suffix is replaced). Entries at or
  /// below the truncated index are skipped; a first index past last_index + 1 is an error.
  void append(region_id region, std::vector<raft::entry> entries);

  /// Deletes the region's entries up to and including `up_to` and records `up_to` and its term
  /// as the truncated index and term in the apply state. Compacting at or below the current
  /// truncated index changes nothing; past the last index is an error. Only the truncated
  /// fields of the apply state change, so a later `set_apply_state` in the same batch
  /// overrides them.
  void compact_log(region_id region, raft::log_index up_to);

  /// Deletes every entry of the region's log (a snapshot replaced it).
  void clear_log(region_id region);

  // -- region state -----------------------------------------------------------------------

  void set_hard_state(region_id region, const raft::hard_state& hs);
  /// Replaces the whole apply state record.
  void set_apply_state(region_id region, const apply_state& as);
  void set_region_state(region_id region, const region_local_state& rs);

  /// Writes one client session of the region (replacing the client's earlier record).
  void put_session(region_id region, const client_session& s);
  /// Deletes the region's session of `client` (absent is fine).
  void del_session(region_id region, std::uint64_t client);
  /// Records the applied index the region's sessions on disk stand for.
  void set_session_index(region_id region, raft::log_index index);

  /// Deletes the region's log and all of its state records, sessions included (the replica is
  /// gone for good).
  void destroy_region(region_id region);

  // -- data -------------------------------------------------------------------------------

  void put(region_id region, std::string_view key, std::string_view value);
  void del(region_id region, std::string_view key);
  /// Deletes every key in [start, end); an empty `end` means +infinity.
  void delete_range(region_id region, std::string_view start, std::string_view end);
  /// Moves `bytes` of approximate size from region `from` to region `to` (a split handing keys
  /// to its child): `from` never drops below zero, and `to` gains what `from` had, at most.
  void move_size(region_id from, region_id to, std::uint64_t bytes);

  // -- the batch itself -------------------------------------------------------------------

  bool empty() const { return ops_.empty(); }
  std::size_t op_count() const { return ops_.size(); }
  void clear() { ops_.clear(); }

  /// Checks every documented limit (key and value sizes, consecutive entry indexes) so a
  /// batch that would fail is refused before any change is made.
  result<void> validate() const;

  struct append_op {
    region_id region;
    std::vector<raft::entry> entries;
  };
  struct compact_op {
    region_id region;
    raft::log_index up_to;
  };
  struct clear_log_op {
    region_id region;
  };
  struct hard_state_op {
    region_id region;
    raft::hard_state hs;
  };
  struct apply_state_op {
    region_id region;
    apply_state as;
  };
  struct region_state_op {
    region_id region;
    region_local_state rs;
  };
  struct session_op {
    region_id region;
    client_session session;
  };
  struct del_session_op {
    region_id region;
    std::uint64_t client = 0;
  };
  struct session_index_op {
    region_id region;
    raft::log_index index;
  };
  struct destroy_op {
    region_id region;
  };
  struct put_op {
    region_id region;
    std::string key;
    std::string value;
  };
  struct del_op {
    region_id region;
    std::string key;
  };
  struct delete_range_op {
    region_id region;
    std::string start;
    std::string end;
  };
  struct move_size_op {
    /// The region the size moves from.
    region_id region;
    region_id to;
    std::uint64_t bytes = 0;
  };
  using op = std::variant<append_op, compact_op, clear_log_op, hard_state_op, apply_state_op,
                          region_state_op, session_op, del_session_op, session_index_op, destroy_op,
                          put_op, del_op, delete_range_op, move_size_op>;

  /// The recorded operations in order, for the code that writes them.
  const std::vector<op>& ops() const { return ops_; }

 private:
  std::vector<op> ops_;
};

}  // namespace rdb::storage
