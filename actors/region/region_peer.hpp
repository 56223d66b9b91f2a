#pragma once

#include <memory>

#include "actors/region/lease_grant.hpp"

#include <memory>

#include <caf/fwd.hpp>

#include "actors/pd_client/heartbeat_agent_interface.hpp"
#include "actors/region/peer.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/router/router_interface.hpp"
#include "actors/store/snapshot_worker_interface.hpp"
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
  /// Makes this region's snapshots when it leads; without one, no snapshot is ever sent.
  snapshot_worker_actor snapshotter;
  /// Where the peer publishes its read lease for the KV service's local reads; none if null.
  std::shared_ptr<lease_grant> grant;
  /// Hears of the splits the peer applies (the supervisor); without one, the peer only routes
  /// its own shrunk range and nobody starts the children.
  split_sink_actor splits;
  /// Whether the peer routes itself once open; false for a split's child, which the supervisor
  /// routes together with its parent.
  bool route_on_open = true;
};

/// Spawns the actor of replica `ctx.config.region` (see region_peer_interface.hpp), which opens
/// the replica from `ctx.store` as its first step. It quits at once with a `storage_corrupt`
/// error (and logs why) if the store holds no founding state for it, its meta names no peer on
/// `ctx.config.store`, or its state cannot be read. Once open it registers itself with the
/// router and the ticker, and quits with a `storage_corrupt` error if its replica cannot go on
/// (a failed write, an entry it cannot apply), answering every waiting client first.
region_peer_actor spawn_region_peer(caf::actor_system& sys, region_peer_context ctx);

}  // namespace rdb
