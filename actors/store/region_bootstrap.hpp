#pragma once

#include "actors/raft/types.hpp"
#include "actors/store/writer_types.hpp"
#include "storage/types.hpp"
#include "storage/write_batch.hpp"

/// Founding a store's replica of a region.
///
/// Every replica of every region starts at the same log position: an empty log truncated at
/// index 5 of term 5, committed and applied up to 5, with the membership of PD's meta. A group
/// founded at index 0 could not bring up a replica added later: replaying the log from index
/// 1 shows it the membership changes but never the founding membership (the raft core's
/// warning, as TiKV's RAFT_INIT_LOG_INDEX). Founded at 5, a new replica founded from the
/// current meta joins at the same position, and a leader whose log has moved on catches it up
/// from there.
namespace rdb {

inline constexpr raft::log_index founding_index{5};
inline constexpr raft::term_id founding_term{5};

/// Adds the founding records of this store's replica of `meta.id` that belong to environment
/// `stage` (storage/engines.hpp) to `batch`: both get the apply state (applied = truncated = 5,
/// truncated term 5); the log half the hard state (term 5, commit 5, no vote), the apply half
/// the region local state (normal). The log half is written first: a replica counts as founded
/// once its region local state exists.
void add_founding_state(storage::write_batch& batch, const storage::region_meta& meta,
                        write_stage stage);

}  // namespace rdb
