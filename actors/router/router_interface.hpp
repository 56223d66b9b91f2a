#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/region/requests.hpp"
#include "actors/region/requests_inspect.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The router: one per store. Authoritative for which local region peer owns which key range
/// (with its epoch) and which actor serves each region id. Request paths (the KV service, the
/// transport delivering raft batches) do not ask it by message: it publishes an immutable
/// `route_table` snapshot through a `route_holder` after every change, and readers copy the
/// current snapshot's pointer under a lock held for nothing else.
namespace rdb {

/// One local region as the router knows it.
struct region_route {
  /// Range and epoch as last reported by the region peer (or the supervisor on spawn).
  storage::region_meta meta;
  /// The local replica serving the region.
  region_peer_actor peer;
  /// The leader the region last reported; `leader.id` none if unknown. Lets the KV service
  /// answer `not_leader` with a hint without a message hop.
  storage::region_peer leader;
};

/// An immutable snapshot of the router's maps, implemented in actors/router/route_table.hpp. Shared
/// between threads as `route_snapshot`; never changed after publication. Its contract:
/// - `const region_route* find(region_id) const` — the route of a region, or null.
/// - `const region_route* find_by_key(std::string_view key) const` — the region whose range
///   [start_key, end_key) holds `key`, or null.
/// - `std::uint64_t version() const` — grows by one per publication.
class route_table;

using route_snapshot = std::shared_ptr<const route_table>;

/// Publishes route snapshots from the router to any number of reader threads. One writer (the
/// router), many readers; a reader's `load()` is a short critical section that copies one
/// shared pointer, so it never waits on the router's work (the next table is built before
/// `publish`). Readers keep the snapshot only for one request.
class route_holder {
 public:
  /// The current snapshot; null until the router publishes the first one.
  route_snapshot load() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return current_;
  }

  /// Replaces the current snapshot. Called by the router only.
  void publish(route_snapshot next) {
    std::lock_guard<std::mutex> guard{mtx_};
    current_.swap(next);
  }

 private:
  mutable std::mutex mtx_;
  route_snapshot current_;
};

/// Messages of the router. It serves no client request: the KV service reads the published
/// table, sends each request straight to the region's peer and gets the answer from it.
///
/// From the store supervisor and the region peers:
/// - `(route_update_atom, storage::region_meta, region_peer_actor)` — adds or replaces a
///   region's route (spawn, restart, split, epoch change). An update whose epoch is older than
///   the known one is ignored. Publishes a new snapshot.
/// - `(route_remove_atom, region_id)` — the replica left this store. Publishes.
/// - `(leader_atom, region_id, storage::region_peer)` — a region peer reports the leader it
///   now knows of (id none if none). Publishes.
/// - `(route_split_atom, parent meta, parent peer, child meta, child peer)` — from the
///   supervisor: a split shrank the parent and created the child; both routes change in one
///   publication, so no key is ever without a route or with two.
/// - `(routes_atom)` -> std::vector<storage::region_meta> — the routed regions in key order.
using router_actor =
    caf::typed_actor<caf::reacts_to<route_update_atom, storage::region_meta, region_peer_actor>,
                     caf::reacts_to<route_split_atom, storage::region_meta, region_peer_actor,
                                    storage::region_meta, region_peer_actor>,
                     caf::reacts_to<route_remove_atom, region_id>,
                     caf::reacts_to<leader_atom, region_id, storage::region_peer>,
                     caf::replies_to<routes_atom>::with<std::vector<storage::region_meta>>>;

}  // namespace rdb
