#pragma once

#include <cstdint>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/transport/transport_interface.hpp"
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
/// - `(create_region_atom, storage::region_meta)` -> bool — a replica of this region of PD's
///   first layout (epoch `storage::bootstrap_epoch`) must live on this store. Bootstraps its
///   state through the store writer if the store has none (see `store_writer_actor`, founding
///   index 5), then spawns its peer (which opens itself, as above). Answers true if a peer was
///   started, false if one already runs. The meta must list a peer on this store and be of the
///   first layout (`invalid_argument` otherwise): a replica added to a region later is created
///   by its leader's first message (below).
/// - `(raft_msg_atom, raft_envelope)` — from the transport: a raft message no local peer took.
///   A heartbeat, append or snapshot from a leader to a region this store holds nothing of
///   (or only a tombstone of a membership older than the sender's) creates the replica it
///   addresses, uninitialized: no range, not routed for clients, until the snapshot the leader
///   sends next is installed (actors/region/peer.hpp). Messages for it go through here until
///   then. Anything else is dropped.
/// - `(removed_atom, storage::region_meta)` — from the heartbeat agent: PD knows the region
///   under this newer membership, which does not list this store's replica. Passed to the
///   replica's peer, which checks it against its own meta and destroys itself (see
///   region_peer_interface.hpp).
/// - `(split_atom, parent meta, children's metas, bool led)` — from a region peer whose split
///   is applied and written (see `split_sink_actor`): starts each child's peer (which opens
///   from the state the split founded) and routes parent and child in one router update. A
///   child where the parent led campaigns at once. An uninitialized replica of the child that
///   a leader's message created first is stopped and reopened from that state.
/// - `(regions_atom)` -> std::vector<storage::region_meta> — the regions with a running peer,
///   in key order, as last reported to the router.
/// - `(stop_atom)` -> void — stops every region peer, then the ticker and the store writer,
///   in that order (a detached writer with a live handle would hang the actor system's
///   shutdown), and answers once all of them are down.
using supervisor_actor = caf::typed_actor<
    caf::replies_to<start_atom>::with<std::uint64_t>,
    caf::replies_to<create_region_atom, storage::region_meta>::with<bool>,
    caf::reacts_to<raft_msg_atom, raft_envelope>,
    caf::reacts_to<removed_atom, storage::region_meta>,
    caf::reacts_to<split_atom, storage::region_meta, std::vector<storage::region_meta>, bool>,
    caf::replies_to<regions_atom>::with<std::vector<storage::region_meta>>,
    caf::replies_to<stop_atom>::with<void>>;

}  // namespace rdb
