#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/cursor.hpp"
#include "storage/env.hpp"
#include "storage/error.hpp"
#include "storage/key_codec.hpp"
#include "storage/record_codec.hpp"
#include "storage/txn.hpp"
#include "storage/write_batch.hpp"

namespace rdb::storage {

/// Carries out the operations of one write batch inside one open write transaction.
///
/// It never commits: the store commits (or, on `map_full`, aborts, grows the map and replays
/// the whole batch through a fresh applier). Failures come back as storage errors, with
/// `MDB_MAP_FULL` mapped to `errc::map_full`.
///
/// Region sizes: each data operation adds the byte change of its key + value, and the key it
/// adds or removes, to its region's running delta (the old value's size and whether the key
/// existed come from the same cursor lookup that positions the write, so a put costs no extra
/// tree descent), and `finish` folds the deltas into the regions' size records. That keeps split
/// checks free of scans at the cost of one small record write per region per batch.
class batch_applier {
 public:
  batch_applier(txn& t, const databases& dbs, record_codec& codec)
      : txn_(t), dbs_(dbs), codec_(codec) {}

  /// Applies every operation of `batch` in order, then writes the size records.
  result<void> apply(const write_batch& batch);

 private:
  result<void> apply_op(const write_batch::append_op& op);
  result<void> apply_op(const write_batch::compact_op& op);
  result<void> apply_op(const write_batch::clear_log_op& op);
  result<void> apply_op(const write_batch::hard_state_op& op);
  result<void> apply_op(const write_batch::apply_state_op& op);
  result<void> apply_op(const write_batch::region_state_op& op);
  result<void> apply_op(const write_batch::session_op& op);
  result<void> apply_op(const write_batch::del_session_op& op);
  result<void> apply_op(const write_batch::session_index_op& op);
  result<void> apply_op(const write_batch::destroy_op& op);
  result<void> apply_op(const write_batch::put_op& op);
  result<void> apply_op(const write_batch::del_op& op);
  result<void> apply_op(const write_batch::delete_range_op& op);
  result<void> apply_op(const write_batch::move_size_op& op);

  /// Deletes the region's entries with index >= from and < to (to none: no upper bound).
  result<void> delete_log(region_id region, raft::log_index from, raft::log_index to);
  static result<void> corrupt_bucket(region_id region);
  /// Deletes every client session of the region.
  result<void> delete_sessions(region_id region);
  result<void> put_state(region_id region, keys::state_kind kind, std::string_view value);
  /// The data cursor shared by all data operations of the batch, opened on first use.
  result<cursor*> data_cursor();
  result<void> finish();
  /// Adds `bytes` and `keys` to the region's running delta.
  void account(region_id region, std::int64_t bytes, std::int64_t keys);

  struct usage_delta {
    std::int64_t bytes = 0;
    std::int64_t keys = 0;
  };

  txn& txn_;
  const databases& dbs_;
  record_codec& codec_;
  std::optional<cursor> data_cursor_;
  std::string key_buf_;
  std::unordered_map<region_id, usage_delta> size_deltas_;
};

}  // namespace rdb::storage
