#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "pd/inspect.hpp"
#include "pd/types.hpp"

/// The PD heartbeat agent: one per store, the store's only line to PD for heartbeats. On its own
/// timer it sends PD the store heartbeat (capacity, region and leader counts) and the latest
/// report of every region this store leads, at most one per region per interval however often
/// a region reported; PD's directives come back in the heartbeat answers and are forwarded to
/// the region peer they are for.
namespace rdb {

/// Messages of the heartbeat agent.
///
/// - `(report_atom, pd::region_heartbeat, region_peer_actor)` — from a region peer that leads
///   its region: its current meta, leader, size and pending/down peers. Sent on becoming
///   leader, after every meta change, and periodically while leading. A newer report of the
///   same region replaces an unsent older one. PD's directive for the region, if any, goes to
///   the given peer as `(directive_atom, pd::directive)`.
/// - `(agent_round_atom)` — the agent's own timer: send the store heartbeat and the pending region
///   reports. Requests to PD use finite timeouts; a lost answer is simply retried next round.
using heartbeat_agent_actor =
    caf::typed_actor<caf::reacts_to<report_atom, pd::region_heartbeat, region_peer_actor>,
                     caf::reacts_to<agent_round_atom>>;

}  // namespace rdb
