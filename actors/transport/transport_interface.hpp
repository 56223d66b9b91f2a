#pragma once

#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "actors/common/raft_inspect.hpp"
#include "actors/transport/transport_types.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The transport: carries raft messages between the region peers of different stores.
///
/// Region peers hand it every raft message they emit, addressed by (region, peer, store). It
/// groups them per destination store and sends one batch per store per flush (measured: a
/// middleman carries ~250k small messages/s but ~38k batches of 64 each; batching per store is
/// what makes many regions affordable). The receiving store's transport unpacks a batch and
/// delivers each envelope to the local peer of its region, found in the router's published
/// route table without a message hop.
///
/// Plain heartbeats and their responses are coalesced per store pair: they travel in compact
/// form (`raft_beat`) and wait up to `outbox_config::beat_delay` for the rest of their round,
/// so one heartbeat round of all regions between two stores is one batch each way. Heartbeats
/// that carry a read-index context are sent at once like any other message.
///
/// The same actor serves both wirings: stores of one actor system connect their transports
/// directly, and the node binary connects it to other processes' transports, which it reaches
/// over CAF's middleman (the connector, actors/transport/connector.hpp).
namespace rdb {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_envelope& x) {
  return f(caf::meta::type_name("raft_envelope"), x.region, x.from, x.to, x.epoch, x.msg);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_beat& x) {
  return f(caf::meta::type_name("raft_beat"), x.region, x.from, x.from_role, x.to, x.to_role,
           x.epoch, x.term, x.commit, x.response);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_batch& x) {
  return f(caf::meta::type_name("raft_batch"), x.from_store, x.to_store, x.envelopes, x.beats,
           x.acks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_chunk& x) {
  return f(caf::meta::type_name("snapshot_chunk"), x.from_store, x.region, x.offset, x.data, x.last,
           x.env);
}

/// Takes raft messages one at a time for delivery on this store: the transport (from its
/// snapshot receiver), or the store supervisor (from the transport, for envelopes no local peer
/// takes).
using raft_sink_actor = caf::typed_actor<caf::reacts_to<raft_msg_atom, raft_envelope>>;

/// The part of a transport that other stores' transports talk to: raft batches, and the
/// chunks of snapshot files, each answered `true` once written (an error if refused). Also the
/// part a test tool reaches over the network: `(partition_atom, std::vector<store_id> cut)`
/// makes the transport drop every raft message and snapshot to and from the stores in `cut`
/// (replacing the previous set; empty heals), answered `true`; refused with
/// `invalid_argument` unless the store was started to allow it (`outbox_config`).
using transport_inbox_actor =
    caf::typed_actor<caf::reacts_to<deliver_atom, raft_batch>,
                     caf::replies_to<snapshot_chunk_atom, snapshot_chunk>::with<bool>,
                     caf::replies_to<partition_atom, std::vector<store_id>>::with<bool>>;

/// Messages of the transport of one store.
///
/// - `(send_raft_atom, std::vector<raft_envelope>)` — from a local region peer: send these
///   envelopes (any mix of destination stores). Fire and forget; raft tolerates loss. An
///   envelope for a store the transport cannot reach is dropped, and the sending region peer is
///   told `(unreachable_atom, peer_id)` so its leader falls back to probing that follower.
///   Envelopes addressed to the local store are delivered locally, never dropped.
/// - `(send_snapshot_atom, raft_envelope)` — from a local region peer: a raft snapshot message,
///   whose `snapshot.data` names a file of this store (actors/region/region_snapshot.hpp). The
///   file goes to the target store on the snapshot channel, apart from raft batches (see
///   transport.hpp), and the message is delivered there once the whole file is in and checked.
///   The sender is told `(snapshot_status_atom, to peer id, ok)` when it is done.
/// - `(deliver_atom, raft_batch)` — from the transport of `from_store`: hand each envelope to
///   the local peer of its region as `(raft_msg_atom, raft_envelope)`. Envelopes without a
///   local peer of their region and peer id go to the store supervisor, if one is connected
///   (see transport.hpp), and are dropped otherwise.
///   `acks` frees that many slots of our window to `from_store`. Delivered batches are
///   acknowledged on the next batch back to their store, or, once `outbox_config::ack_every`
///   are owed, by an acknowledgement alone sent to the sender: a window (larger than
///   `ack_every`) then never stays closed while both run.
/// - `(connect_atom, store_id, transport_actor)` — teaches this transport how to reach the
///   transport of another store (the in-process wiring; a network transport resolves
///   addresses instead). Replaces any earlier handle of that store.
/// - `(disconnect_atom, store_id)` — the connection to that store is gone: forget its handle
///   and drop what was queued for it; its envelopes are unreachable until the next connect.
///   Each local peer whose region's leader (as last routed) is on that store is told
///   `(unreachable_atom, leader peer id)`, so a hibernating follower wakes up and campaigns.
using transport_actor =
    caf::typed_actor<caf::reacts_to<send_raft_atom, std::vector<raft_envelope>>,
                     caf::reacts_to<send_snapshot_atom, raft_envelope>,
                     caf::reacts_to<deliver_atom, raft_batch>,
                     caf::replies_to<snapshot_chunk_atom, snapshot_chunk>::with<bool>,
                     caf::reacts_to<connect_atom, store_id, transport_inbox_actor>,
                     caf::reacts_to<disconnect_atom, store_id>,
                     caf::replies_to<partition_atom, std::vector<store_id>>::with<bool>>;

}  // namespace rdb
