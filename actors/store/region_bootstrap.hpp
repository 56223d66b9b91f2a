#pragma once

#include "actors/raft/types.hpp"
#include "actors/store/writer_types.hpp"
#include "storage/types.hpp"
#include "storage/write_batch.hpp"

/// Founding a store's replica of a region.
///
/// Every replica of a region of PD's first layout starts at the same log position: an empty
/// log truncated at index 5 of term 5, committed and applied up to 5, with the membership of
/// PD's meta (as TiKV's RAFT_INIT_LOG_INDEX). A replica added to a region later is not founded:
/// its leader's first message creates it empty (actors/region/raft_storage.hpp), and since
/// nothing at or below index 5 is in any log, the leader catches it up with a snapshot rather
/// than a replay of the region's history.
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
