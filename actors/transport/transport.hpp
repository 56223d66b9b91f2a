#pragma once

#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/router/router_interface.hpp"
#include "actors/transport/snapshot_channel.hpp"
#include "actors/transport/transport_interface.hpp"
#include "actors/transport/transport_outbox.hpp"

namespace rdb {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_stats& x) {
  return f(caf::meta::type_name("transport_stats"), x.batches_sent, x.envelopes_sent, x.beats_sent,
           x.batches_received, x.acks_alone, x.envelopes_delivered, x.local_delivered,
           x.dropped_full, x.dropped_unreachable, x.dropped_no_peer, x.to_supervisor,
           x.window_resets, x.dropped_partitioned);
}

/// The in-process transport: `transport_actor` plus what its instances say to each other and
/// to themselves.
///
/// - `(flush_atom)` — sent by the transport to itself after the first envelope since the last
///   flush. It queues behind every `send_raft` already in the mailbox, so all envelopes the
///   region peers emitted in one round leave as one batch per destination store.
/// - `(beats_due_atom)` — sent by the transport to itself `beat_delay` after it held a plain
///   heartbeat: sends every queued envelope and heartbeat.
/// - `(stall_check_atom)` — sent by the transport to itself `stall_timeout` after it saw a
///   destination's window full: reopens the windows that got no acknowledgement meanwhile
///   (transport_outbox::reopen_stalled) and sends what waited.
/// - `(stats_atom)` -> transport_stats.
/// - `(raft_msg_atom, raft_envelope)` — from this store's snapshot receiver: a snapshot message
///   whose file is staged and checked, delivered like a received envelope.
/// - `(connect_atom, raft_sink_actor)` — from the store: where envelopes go that no local peer
///   takes (the store supervisor, which may create the replica a leader's message addresses).
///   Without one they are dropped.
using local_transport_actor = transport_actor::extend<
    caf::reacts_to<flush_atom>, caf::reacts_to<beats_due_atom>, caf::reacts_to<stall_check_atom>,
    caf::reacts_to<raft_msg_atom, raft_envelope>, caf::reacts_to<connect_atom, raft_sink_actor>,
    caf::replies_to<stats_atom>::with<transport_stats>>;

/// Spawns the transport of store `self` (see transport_interface.hpp). Received envelopes go
/// to the local peer the route table in `routes` names for their region, and only if that
/// region's meta lists the envelope's target peer id on this store.
/// With a snapshot directory in `snap`, it also takes snapshot files from other stores
/// (actors/transport/snapshot_channel.hpp).
local_transport_actor spawn_transport(caf::actor_system& sys, store_id self,
                                      std::shared_ptr<route_holder> routes, outbox_config cfg = {},
                                      snapshot_channel_config snap = {});

}  // namespace rdb
