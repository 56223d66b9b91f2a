#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/pd_client/heartbeat_agent_interface.hpp"
#include "actors/region/peer.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/router/router_interface.hpp"
#include "actors/store/store_writer_interface.hpp"
#include "actors/store/ticker_interface.hpp"
#include "actors/transport/transport_interface.hpp"
#include "storage/engines.hpp"
#include "storage/error.hpp"

namespace rdb {

/// What a region peer actor needs from its store.
struct region_peer_context {
  peer_config config;
  storage::engines store;
  /// The writers of the raft and the kv environment (write_stage log and apply).
  store_writer_actor writer;
  store_writer_actor applier;
  transport_actor transport;
  /// Optional (null handles are skipped): without a ticker, ticks come from whoever sends
  /// `raft_tick_atom` (tests); without a router or heartbeat agent, nobody hears of leader and
  /// meta changes.
  ticker_actor ticker;
  router_actor router;
  heartbeat_agent_actor heartbeat;
};

/// Opens the replica `ctx.config.region` from `ctx.store` and spawns its actor (see
/// region_peer_interface.hpp). Fails if the store holds no founding state for it or its meta
/// names no peer on `ctx.config.store`. The actor registers itself with the router and the
/// ticker, and quits with a `storage_corrupt` error if its replica cannot go on (a failed
/// write), answering every waiting client first.
storage::result<region_peer_actor> spawn_region_peer(caf::actor_system& sys,
                                                     region_peer_context ctx);

}  // namespace rdb
