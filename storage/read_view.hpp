#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/env.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/txn.hpp"
#include "storage/types.hpp"

namespace rdb::storage {

/// A consistent, read-only snapshot of a store: one `MDB_NOTLS` read transaction, released on
/// destruction. It may move between threads but must not outlive one unit of work (one
/// message handler): it pins the pages it sees and holds off map growth.
///
/// Everything read is copied out and verified; no returned value points into the map.
class read_view {
 public:
  /// Receives one data record; the views are valid only during the call. Return false to stop.
  using visitor = std::function<bool(std::string_view key, std::string_view value)>;

  read_view(read_view&&) noexcept = default;
  /// Not assignable: the lock and the transaction must be released in a fixed order.
  read_view& operator=(read_view&&) = delete;

  // -- data -------------------------------------------------------------------------------

  /// The value of `key`, or nothing if it is absent.
  result<std::optional<std::string>> get(std::string_view key) const;
  /// Up to `limit` records with keys in [start, end) in key order; empty `end` is +infinity.
  result<std::vector<kv_pair>> scan(std::string_view start, std::string_view end,
                                    std::size_t limit) const;
  /// Visits the records in [start, end) in key order until `fn` returns false.
  result<void> for_each(std::string_view start, std::string_view end, const visitor& fn) const;
  /// Key + value bytes in [start, end), summed by walking the range (values are not read,
  /// LMDB keeps their sizes in the leaf nodes). Exact, for split checks of one region.
  result<std::uint64_t> range_size(std::string_view start, std::string_view end) const;

  // -- raft log of one region (see log_reader for the semantics) --------------------------

  result<std::vector<raft::entry>> entries(region_id region, raft::log_index lo, raft::log_index hi,
                                           std::uint64_t max_bytes) const;
  result<raft::term_id> term(region_id region, raft::log_index i) const;
  result<raft::log_index> first_index(region_id region) const;
  result<raft::log_index> last_index(region_id region) const;

  // -- region state -----------------------------------------------------------------------

  result<std::optional<raft::hard_state>> load_hard_state(region_id region) const;
  result<std::optional<apply_state>> load_apply_state(region_id region) const;
  result<std::optional<region_local_state>> load_region_state(region_id region) const;
  /// The applied index the region's client sessions stand for (see state_reader).
  result<raft::log_index> load_session_index(region_id region) const;
  /// The region's client sessions, in client id order.
  result<std::vector<client_session>> load_client_sessions(region_id region) const;
  /// The region's approximate data size and key count, kept up to date by every write batch.
  result<region_usage> approximate_usage(region_id region) const;
  /// Every region with any state record (hard, apply, local state or size), in id order.
  result<std::vector<region_id>> region_ids() const;
  /// Every region that has a region local state, in region id order.
  result<std::vector<region_local_state>> regions() const;

 private:
  friend class store;
  read_view(std::shared_lock<std::shared_timed_mutex> lock, txn t, const databases& dbs)
      : lock_(std::move(lock)), txn_(std::move(t)), dbs_(&dbs) {}

  // Declared first so it is released last: the map must not move while the txn is open.
  std::shared_lock<std::shared_timed_mutex> lock_;
  txn txn_;
  const databases* dbs_;
};

}  // namespace rdb::storage
