#pragma once

#include <memory>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/pd_client/heartbeat_agent_interface.hpp"
#include "actors/region/region_peer.hpp"
#include "actors/store/supervisor_interface.hpp"

namespace rdb {

/// The store supervisor as the store assembly spawns it: `supervisor_actor` plus
/// - `(connect_atom, heartbeat_agent_actor)` — region peers spawned from now on report to
///   this agent. The agent is spawned after the supervisor (it forwards PD's regions to it),
///   and before `start`, so every peer knows it.
using store_supervisor_actor =
    supervisor_actor::extend<caf::reacts_to<connect_atom, heartbeat_agent_actor>>;

/// What the supervisor needs to run the region peers of one store.
struct supervisor_config {
  /// The context every region peer gets; `peer.config.region` is filled in per region, and
  /// `peer.heartbeat` may be set later with `connect_atom`. `peer.writer`, `peer.applier` and
  /// `peer.ticker` are owned by the supervisor: `stop_atom` stops them after the peers.
  region_peer_context peer;
  /// A peer that fails more often than this is given up (its route removed) rather than
  /// restarted in a loop; it comes back with the next `start` or PD's next region list.
  int max_restarts = 10;
  /// Bound on each request to a store writer (founding a region, draining before a
  /// restart). CAF 0.17 loses answers owed by dead actors.
  caf::timespan writer_timeout = std::chrono::seconds{10};
  /// A region of the bootstrap layout founded just now has no leader, and an election timeout
  /// would keep it unavailable for one or two timeouts. One of its voters, the same one on
  /// every store (spread over the stores by region id), campaigns this long after founding
  /// it, once the other replicas have had time to be founded too. If they have not, the usual
  /// timeouts elect a leader as before. Zero: no early campaign.
  caf::timespan first_campaign_delay = std::chrono::milliseconds{200};
  /// Where each peer publishes its read lease for the KV service (`peer.grant` is set per
  /// region from it); none if null.
  std::shared_ptr<lease_grants> leases;
};

/// Spawns the supervisor of one store (see supervisor_interface.hpp).
store_supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_config cfg);

}  // namespace rdb
