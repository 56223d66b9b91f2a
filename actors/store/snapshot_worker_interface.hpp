#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/raft_inspect.hpp"
#include "storage/ids.hpp"

/// The snapshot worker: one per store, on a thread of its own (detached), so that the copy of a
/// region's data to a file never holds a region peer or a CAF worker thread.
///
/// A snapshot is made from one LMDB read view, released as soon as the region's data is copied
/// out (a long-lived view holds off the map's growth); see actors/region/region_snapshot.hpp.
/// Files live in the store's snapshot directory, which the worker empties when it starts: what
/// a crash left there is never used again.
namespace rdb {

/// Messages of the snapshot worker.
///
/// - `(snapshot_atom, region_id)` -> raft::snapshot — from a leading region peer: makes a
///   snapshot of the region as the kv environment holds it now. Its `data` is the descriptor
///   (actors/region/region_snapshot.hpp) of the file it wrote. Fails with an error of category
///   "rdb" (`storage_corrupt`, naming the region) if it cannot.
using snapshot_worker_actor =
    caf::typed_actor<caf::replies_to<snapshot_atom, region_id>::with<raft::snapshot>>;

}  // namespace rdb
