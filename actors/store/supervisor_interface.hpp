#pragma once

#include <cstdint>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The store supervisor: one per store. Owns the life cycle of the store's region peers: boots
/// them from persisted state, creates replicas PD asks for, monitors every peer and restarts a
/// crashed one from disk (a fault in one region stays in that region), and keeps the router's
/// routes and the ticker in step with the peers it runs.
namespace rdb {

/// Messages of the store supervisor.
///
/// - `(start_atom)` -> std::uint64_t — spawns a region peer for every region with a local state
///   on disk that is not a tombstone; answers how many were started. Each peer opens its
///   replica itself; one that cannot is handled like a crashed one (retried from disk within
///   the restart budget, then given up). Idempotent: regions already running are left alone.
/// - `(create_region_atom, storage::region_meta)` -> bool — a replica of this region must live
///   on this store (PD's initial layout, or a replica added to a region). Bootstraps its state
///   through the store writer if the store has none (see `store_writer_actor`, founding index
///   5), then spawns its peer (which opens itself, as above). Answers true if a peer was
///   started, false if one already runs.
///   The meta must list a peer on this store (`invalid_argument` otherwise).
/// - `(regions_atom)` -> std::vector<storage::region_meta> — the regions with a running peer,
///   in key order, as last reported to the router.
/// - `(stop_atom)` -> void — stops every region peer, then the ticker and the store writer,
///   in that order (a detached writer with a live handle would hang the actor system's
///   shutdown), and answers once all of them are down.
using supervisor_actor =
    caf::typed_actor<caf::replies_to<start_atom>::with<std::uint64_t>,
                     caf::replies_to<create_region_atom, storage::region_meta>::with<bool>,
                     caf::replies_to<regions_atom>::with<std::vector<storage::region_meta>>,
                     caf::replies_to<stop_atom>::with<void>>;

}  // namespace rdb
