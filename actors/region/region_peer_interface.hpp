#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/inspect.hpp"
#include "actors/common/raft_inspect.hpp"
#include "actors/raft/types.hpp"
#include "actors/region/requests.hpp"
#include "actors/region/requests_inspect.hpp"
#include "actors/store/store_writer_interface.hpp"
#include "actors/transport/transport_interface.hpp"
#include "pd/inspect.hpp"
#include "pd/types.hpp"
#include "storage/ids.hpp"
#include "storage/types.hpp"

/// The region peer: one replica of one region on this store, wrapping a raft node. Its
/// behavior only dispatches; the logic lives in the plain class `peer` (actors/region/peer.hpp).
///
/// Write path: a put/delete is checked (region, epoch, key range, leadership), encoded and
/// proposed; each raft ready's `messages` go to the transport at once and the writes its
/// committed entries complete are answered; its log half (entries, hard state) goes to the log
/// writer; on `persisted` the peer sends the ready's `persisted_messages`, advances raft and
/// hands the apply half (data changes, apply state) to the apply writer. Several readies may be
/// with the writer at once (`peer_config::max_outstanding_readies`), and the peer keeps stepping
/// raft messages meanwhile: it never blocks.
///
/// Read path: ReadIndex on the leader; answered once the applied index reaches the read
/// index, from a short-lived LMDB read view.
///
/// A replica whose own removal it applies destroys its state on this store (tombstone, then
/// its log) and stops with a normal exit, which tells its supervisor not to restart it
/// (actors/region/peer_destroy.cpp).
///
/// Every client request is answered: with a value, or with an error of category "rdb"
/// (actors/common/errors.hpp): `region_not_found` (wrong region id), `epoch_not_match` (stale
/// version; carries the current meta), `key_not_in_region`, `not_leader` (carries the leader
/// hint; also for proposals raft drops and for requests pending when leadership is lost),
/// `invalid_argument`, `server_busy`, `storage_corrupt`.
namespace rdb {

/// Messages of a region peer.
///
/// Clients (the KV service sends each request here straight from the route table, and is
/// answered directly):
/// - `(kv_get_atom, get_request)` -> get_response — linearizable read (ReadIndex).
/// - `(kv_put_atom, put_request)` -> write_response — answered once committed (durable on a
///   quorum), without waiting for its apply to be written.
/// - `(kv_delete_atom, delete_request)` -> write_response — answered like a put.
/// - `(kv_cas_atom, cas_request)` -> cas_response — compare-and-swap, decided at apply and
///   answered once that apply is durable.
/// - `(kv_scan_atom, scan_request)` -> scan_response — linearizable range read.
///
/// Raft and persistence:
/// - `(raft_msg_atom, raft_envelope)` — from the transport: a raft message of this region.
///   Dropped unless `region` and `to.id` are this replica's. Anything but a heartbeat (or its
///   response) wakes a hibernating peer.
/// - `(persisted_atom, persisted)` — from the store writer: ready `ready_number` is durable,
///   and so is every earlier one.
/// - `(ready_atom)` — from itself: take the raft ready it deferred while others were being
///   written; sent to itself so that the messages already queued join that ready.
/// - `(unreachable_atom, peer_id)` — from the transport: that peer could not be reached (or
///   its store's connection was lost). Wakes a hibernating follower whose leader it is.
/// - `(snapshot_status_atom, peer_id, bool)` — from the transport's snapshot channel: the
///   snapshot this leader sent to that peer was delivered (true) or not (false; raft probes
///   the peer again and a later attempt sends a snapshot anew).
///
/// Time and administration:
/// - `(raft_tick_atom)` — from the ticker: one raft tick. A peer that has seen nothing but ticks
///   and heartbeats for twice the election timeout, with nothing pending, a known leader and
///   (on the leader) every follower caught up, sends the ticker `hibernate_atom` and stops
///   getting ticks; a client request, a campaign or a raft message other than a heartbeat
///   wakes it (`wake_atom` to the ticker). A hibernating follower does not notice a dead
///   leader by itself: the next request it gets (or, later, store-level liveness) wakes it.
/// - `(campaign_atom)` — start an election now (tests, bootstrap of a fresh cluster, a
///   leader transfer target).
/// - `(change_peer_atom, change_peer_request)` -> write_response — a membership change,
///   answered once applied.
/// - `(directive_atom, pd::directive)` — from the heartbeat agent: carry out PD's directive if
///   this replica leads and its epoch still equals the directive's (add learner, promote,
///   remove peer, transfer leader; split is not supported yet and is ignored).
/// - `(removed_atom, storage::region_meta)` — from the supervisor: PD knows the region under a
///   newer membership that does not list this replica's peer id (it was removed while its
///   store was down, and never applied its removal). The replica destroys itself as if it had
///   (tombstone, data and log gone, actor stopped); ignored unless the meta is newer and does
///   not list it.
/// - `(split_atom, split_request)` -> write_response — split the region (see `split_request`),
///   answered once applied on this leader.
/// - `(report_atom)` — from the heartbeat agent: a leader reports to PD now (through the
///   agent), so a quiet or hibernating region still hears PD's directives.
/// - `(status_atom)` -> region_status.
using region_peer_actor = caf::typed_actor<
    caf::replies_to<kv_get_atom, get_request>::with<get_response>,
    caf::replies_to<kv_put_atom, put_request>::with<write_response>,
    caf::replies_to<kv_delete_atom, delete_request>::with<write_response>,
    caf::replies_to<kv_cas_atom, cas_request>::with<cas_response>,
    caf::replies_to<kv_scan_atom, scan_request>::with<scan_response>,
    caf::reacts_to<raft_msg_atom, raft_envelope>, caf::reacts_to<persisted_atom, persisted>,
    caf::reacts_to<ready_atom>, caf::reacts_to<unreachable_atom, peer_id>,
    caf::reacts_to<snapshot_status_atom, peer_id, bool>, caf::reacts_to<raft_tick_atom>,
    caf::reacts_to<campaign_atom>,
    caf::replies_to<change_peer_atom, change_peer_request>::with<write_response>,
    caf::reacts_to<directive_atom, pd::directive>,
    caf::reacts_to<removed_atom, storage::region_meta>,
    caf::replies_to<split_atom, split_request>::with<write_response>, caf::reacts_to<report_atom>,
    caf::replies_to<status_atom>::with<region_status>>;

/// Where a region peer reports the splits it applied: `(split_atom, parent meta, children's
/// metas, whether it led)`, once the apply that founded the children is written. The store
/// supervisor spawns the children's peers and routes parent and children together.
using split_sink_actor = caf::typed_actor<
    caf::reacts_to<split_atom, storage::region_meta, std::vector<storage::region_meta>, bool>>;

}  // namespace rdb
