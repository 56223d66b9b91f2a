#pragma once

#include <cstdint>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/env.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/txn.hpp"

namespace rdb::storage {

/// Reads one region's raft log inside one transaction, with etcd's storage semantics:
/// the log holds entries first_index()..last_index(), where first_index is the truncated index
/// plus one. Reads below first_index are `compacted` (except term(truncated index), answered
/// from the apply state); reads past last_index are `unavailable`.
class log_reader {
 public:
  log_reader(const txn& t, const databases& dbs, region_id region)
      : txn_(t), dbs_(dbs), region_(region) {}

  result<raft::log_index> first_index() const;
  /// The last stored index, or the truncated index when no entry is stored.
  result<raft::log_index> last_index() const;
  result<raft::term_id> term(raft::log_index i) const;
  /// Entries in [lo, hi), stopping before the total record size would pass `max_bytes`, but
  /// always at least one entry when lo < hi.
  result<std::vector<raft::entry>> entries(raft::log_index lo, raft::log_index hi,
                                           std::uint64_t max_bytes) const;

  /// The last stored index, or none when the region stores no entry.
  result<raft::log_index> last_stored_index() const;

 private:
  std::string where(raft::log_index i) const;

  const txn& txn_;
  const databases& dbs_;
  region_id region_;
};

}  // namespace rdb::storage
