#pragma once

#include <caf/atom.hpp>

/// Message tags of the store-side actors (region peer, store writer, router, transport, store
/// supervisor, heartbeat agent, ticker). Each interface header documents which messages carry
/// which tag and what they answer. CAF 0.17 atoms hold at most 10 characters.
namespace rdb {

// -- client requests (KV service, region peer) --------------------------------------------------

using kv_get_atom = caf::atom_constant<caf::atom("kv_get")>;
using kv_put_atom = caf::atom_constant<caf::atom("kv_put")>;
using kv_delete_atom = caf::atom_constant<caf::atom("kv_delete")>;
using kv_cas_atom = caf::atom_constant<caf::atom("kv_cas")>;
using kv_scan_atom = caf::atom_constant<caf::atom("kv_scan")>;

// -- raft traffic (region peer, transport) ---------------------------------------------------

using raft_msg_atom = caf::atom_constant<caf::atom("raft_msg")>;
using send_raft_atom = caf::atom_constant<caf::atom("send_raft")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;
using unreachable_atom = caf::atom_constant<caf::atom("unreach")>;

// -- persistence (region peer, store writer) -------------------------------------------------

using persist_atom = caf::atom_constant<caf::atom("persist")>;
using persisted_atom = caf::atom_constant<caf::atom("persisted")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using bootstrap_atom = caf::atom_constant<caf::atom("bootstrap")>;

// -- time: every timer has its own name, so a message says which clock it comes from -------

/// One raft tick, from the store's ticker to a region peer.
using raft_tick_atom = caf::atom_constant<caf::atom("raft_tick")>;
/// The ticker's own timer: time to tick every active region.
using tick_round_atom = caf::atom_constant<caf::atom("tick_round")>;
/// A store writer's own timer: the commit delay of a batch waiting for company is over.
using commit_due_atom = caf::atom_constant<caf::atom("commit_due")>;
/// The transport's own timer: held heartbeats have waited long enough for their round.
using beats_due_atom = caf::atom_constant<caf::atom("beats_due")>;
/// The transport's own timer: a full window may have lost its acknowledgements.
using stall_check_atom = caf::atom_constant<caf::atom("stall_chk")>;
/// The heartbeat agent's own timer: one round of store and region heartbeats.
using agent_round_atom = caf::atom_constant<caf::atom("hb_round")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using hibernate_atom = caf::atom_constant<caf::atom("hibernate")>;

// -- administration -------------------------------------------------------------------------

using status_atom = caf::atom_constant<caf::atom("status")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using campaign_atom = caf::atom_constant<caf::atom("campaign")>;
using removed_atom = caf::atom_constant<caf::atom("removed")>;
using split_atom = caf::atom_constant<caf::atom("split")>;
using route_split_atom = caf::atom_constant<caf::atom("route_spl")>;
using split_check_atom = caf::atom_constant<caf::atom("split_chk")>;
using change_peer_atom = caf::atom_constant<caf::atom("chg_peer")>;
using directive_atom = caf::atom_constant<caf::atom("directive")>;
using route_update_atom = caf::atom_constant<caf::atom("route_upd")>;
using route_remove_atom = caf::atom_constant<caf::atom("route_rm")>;
using leader_atom = caf::atom_constant<caf::atom("leader")>;
using routes_atom = caf::atom_constant<caf::atom("routes")>;
using create_region_atom = caf::atom_constant<caf::atom("create_reg")>;
using regions_atom = caf::atom_constant<caf::atom("regions")>;
using resync_atom = caf::atom_constant<caf::atom("resync")>;
using report_atom = caf::atom_constant<caf::atom("report")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using send_snapshot_atom = caf::atom_constant<caf::atom("send_snap")>;
using snapshot_status_atom = caf::atom_constant<caf::atom("snap_stat")>;
using snapshot_chunk_atom = caf::atom_constant<caf::atom("snap_chunk")>;
using partition_atom = caf::atom_constant<caf::atom("partition")>;

}  // namespace rdb
