#pragma once

#include <cstdint>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/store.hpp"

namespace rdb::storage {

/// The raft log store of one region, with etcd's `Storage` semantics: what a raft node asks
/// of its log, answered from the store.
///
/// Each read takes its own short read view. `append` and `compact` commit a batch of their own
/// and suit tests and tools; the store writer instead puts the same operations into its
/// group-commit `write_batch`.
class region_log {
 public:
  region_log(store& s, region_id region) : store_(&s), region_(region) {}

  region_id region() const { return region_; }

  /// Entries in [lo, hi), at least one if lo < hi, no more than `max_bytes` beyond the first.
  result<std::vector<raft::entry>> entries(raft::log_index lo, raft::log_index hi,
                                           std::uint64_t max_bytes) const;
  /// The term of entry `i`; the truncated index is answered from the apply state.
  result<raft::term_id> term(raft::log_index i) const;
  /// truncated index + 1.
  result<raft::log_index> first_index() const;
  /// The last stored index, or the truncated index if the log is empty.
  result<raft::log_index> last_index() const;

  /// Appends, replacing any conflicting suffix (see write_batch::append).
  result<void> append(std::vector<raft::entry> entries);
  /// Drops entries up to `up_to`; `compacted` if that is at or below the truncated index.
  result<void> compact(raft::log_index up_to);

 private:
  store* store_;
  region_id region_;
};

}  // namespace rdb::storage
