#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "pd/error.hpp"
#include "pd/inspect.hpp"
#include "pd/types.hpp"

/// The placement driver's actor interface: every message PD takes and what it answers.
///
/// All requests are idempotent or safe to retry (CAF 0.17 loses responses owed by dead actors,
/// so callers use finite timeouts and retry). Failures arrive as `caf::error` in category
/// `pd::error_category` with a `pd::errc` code (pd/error.hpp). Requests other than
/// bootstrap, is_bootstrapped, alloc_id, put_store, store_heartbeat, remove_store, get_store,
/// get_stores and tick fail with `not_bootstrapped` before the cluster has its initial layout.
/// Any request that changes persisted state fails with `storage_failure` (and changes nothing)
/// when PD cannot persist it.
namespace rdb::pd {

// -- message tags --------------------------------------------------------------

/// (bootstrap_atom, bootstrap_request) -> std::vector<storage::region_meta>
/// Creates the initial regions and registers the layout's stores, atomically. Answers the
/// created regions in key order. A retry with an identical request answers the current
/// regions; any other request after bootstrap fails with `already_bootstrapped`. A malformed
/// layout fails with `invalid_argument`.
using bootstrap_atom = caf::atom_constant<caf::atom("pd_boot")>;

/// (is_bootstrapped_atom) -> bootstrap_status
using is_bootstrapped_atom = caf::atom_constant<caf::atom("pd_isboot")>;

/// (alloc_id_atom, std::uint32_t count) -> id_range
/// Reserves `count` (>= 1, else `invalid_argument`) fresh ids, unique cluster-wide and never
/// handed out again, not even after a PD restart.
using alloc_id_atom = caf::atom_constant<caf::atom("pd_allocid")>;

/// (put_store_atom, store_info) -> store_id
/// Registers a store, reading only `id`, `address` and `client_address`. With a none id:
/// answers the id of the store already registered under that address, or allocates one. With
/// an id: that store must exist (`unknown_store` otherwise, `store_tombstone` if removed). Either
/// way a non-empty address or client address that differs from the recorded one replaces it
/// (a restarted store may listen elsewhere). An address held by another live store is
/// `invalid_argument`.
using put_store_atom = caf::atom_constant<caf::atom("pd_putstor")>;

/// (store_heartbeat_atom, store_stats) -> store_heartbeat_response
/// Records the figures and marks the store up as of the current PD tick. Answers PD's view of
/// the store and the regions it leads (as PD last heard) that have a directive waiting.
/// `unknown_store` for an unregistered id, `store_tombstone` for a removed store.
using store_heartbeat_atom = caf::atom_constant<caf::atom("pd_storehb")>;

/// (remove_store_atom, store_id) -> store_info
/// Tombstones a store for good: it is never placed on again and may not rejoin under this id.
/// Idempotent.
using remove_store_atom = caf::atom_constant<caf::atom("pd_rmstore")>;

/// (region_heartbeat_atom, region_heartbeat) -> region_heartbeat_response
/// Reconciles the report with the region table. An epoch older than PD's for the same region
/// (smaller version or smaller conf_ver), or a range overlapping a region with a greater
/// version, fails with `stale_epoch` carrying PD's newer meta. A newer epoch replaces PD's
/// entry and drops the overlapped older entries (a split reported by parent and child). The
/// answer carries the region's pending directive (see push_directive_atom), if any.
using region_heartbeat_atom = caf::atom_constant<caf::atom("pd_reghb")>;

/// (ask_split_atom, storage::region_meta) -> split_ids
/// A leader about to split asks for the new region id and one new peer id per peer of the
/// region. Fails with `stale_epoch` if PD knows a newer epoch of the region, `unknown_region`
/// if PD has not heard of it yet (a new region asks again after its first heartbeat).
using ask_split_atom = caf::atom_constant<caf::atom("pd_asksplt")>;

/// (split_region_atom, split_region_request) -> std::vector<storage::region_meta>
/// Splits a region through its leader, for people and scripts: PD allocates the child's ids and
/// queues a split directive, which the leader's store carries out (finding the middle of the
/// data when no key is given). Answers the two halves, parent then child, once PD has heard
/// of the child. Fails with `unknown_region`, `stale_epoch` (the request names an epoch other
/// than PD's; carries PD's meta), `invalid_argument` (a key at or outside the region's bounds),
/// or `timeout` when the child is not reported within `pd_config::split_wait_ticks` ticks (the
/// region had no leader, or its epoch moved on first: the split may still happen later).
using split_region_atom = caf::atom_constant<caf::atom("pd_splitrg")>;

/// (get_region_atom, std::string key) -> region_info
/// The region whose range contains `key`; `unknown_region` if none does.
using get_region_atom = caf::atom_constant<caf::atom("pd_getreg")>;

/// (get_region_by_id_atom, region_id) -> region_info; `unknown_region` if PD has none.
using get_region_by_id_atom = caf::atom_constant<caf::atom("pd_regbyid")>;

/// (get_regions_atom) -> std::vector<region_info>, in key order.
using get_regions_atom = caf::atom_constant<caf::atom("pd_regions")>;

/// (get_store_regions_atom, store_id) -> std::vector<region_info>
/// The regions with a peer (voter or learner) on the store, in key order. A store uses it on
/// start to learn which replicas it should carry.
using get_store_regions_atom = caf::atom_constant<caf::atom("pd_storreg")>;

/// (get_store_atom, store_id) -> store_info; `unknown_store` if never registered.
using get_store_atom = caf::atom_constant<caf::atom("pd_getstor")>;

/// (get_stores_atom) -> std::vector<store_info>, ordered by id, tombstones included.
using get_stores_atom = caf::atom_constant<caf::atom("pd_stores")>;

/// (push_directive_atom, directive) -> void
/// Queues a directive for its region (replacing any pending one); it rides the responses to
/// that region's heartbeats until the region reports another epoch, or a transfer's target
/// leads. Fails with `stale_epoch` (carrying PD's meta) unless `directive.epoch` is PD's current
/// epoch of the region, `unknown_region`, or `invalid_argument` when the step does not fit the
/// membership. For PD's schedulers, operators and tests; not persisted.
using push_directive_atom = caf::atom_constant<caf::atom("pd_pushdir")>;

/// (split_refused_atom, directive, std::string why) -> void
/// A store's split checker cannot carry out the split directive (the region holds fewer than
/// two keys, so one half would be empty; or its data cannot be read). PD drops the directive
/// if it is still the pending one and fails the split_region requests waiting for it with
/// `invalid_argument` and `why`, rather than letting them time out.
using split_refused_atom = caf::atom_constant<caf::atom("pd_splitno")>;

/// (operator_atom, operator_request) -> operator_info
/// Starts an operator on a region's replicas, for people and scripts: move_peer (the replica on
/// `store` to `target`), add_peer (on `target`), remove_peer (the one on `store`),
/// transfer_leader (to the voter on `target`). Answers the operator as started; it then
/// advances with the region's heartbeats (see operators_atom). One operator per region: fails
/// with `invalid_argument` while one runs, when `store` holds no replica (move, remove),
/// `target` already holds one or is not up or is decommissioning (move, add), a removal would
/// leave the region without a quorum of voters on live stores, or `target` holds no voter
/// (transfer); `unknown_region`, `unknown_store`. An operator not finished within
/// `cluster_config::operator_timeout_ticks` stops as timed_out and a learner it added is
/// removed. Operators are soft state: a restarted PD has none, and its replica repair removes
/// a learner or an extra voter one left behind.
using operator_atom = caf::atom_constant<caf::atom("pd_oper")>;

/// (cancel_operator_atom, region_id) -> operator_info
/// Stops the region's running operator as cancelled (a learner it added is then removed by a
/// rollback operator) and answers it; `invalid_argument` if none runs.
using cancel_operator_atom = caf::atom_constant<caf::atom("pd_opcancl")>;

/// (operators_atom) -> std::vector<operator_info>
/// The running operators in region order (with their current step and creation tick), then
/// the last stopped ones, newest first, with their outcome.
using operators_atom = caf::atom_constant<caf::atom("pd_opers")>;

/// (scheduler_atom, std::string name, bool on) -> std::vector<scheduler_info>
/// Switches "balance-leader", "balance-region" or "replica-repair" on or off until PD
/// restarts (its flags decide the state at start); answers every scheduler's state.
/// `invalid_argument` for another name.
using scheduler_atom = caf::atom_constant<caf::atom("pd_sched")>;

/// (schedulers_atom) -> std::vector<scheduler_info>
using schedulers_atom = caf::atom_constant<caf::atom("pd_scheds")>;

/// (decommission_atom, store_id) -> store_info
/// Starts removing a store from the cluster: nothing is placed on it, every replica on it
/// moves to another store (whether or not replica repair is on), and it becomes a tombstone
/// once PD's table shows no replica on it; its process may then be stopped. Fails with
/// `invalid_argument` while a region with a replica there would be left without a quorum of
/// voters on other live stores, or without a store to move to; `unknown_store`,
/// `store_tombstone`. Idempotent; survives a PD restart.
using decommission_atom = caf::atom_constant<caf::atom("pd_decomm")>;

/// (pd_tick_atom) -> void
/// Advances PD's clock by one tick; stores silent for `store_down_ticks` ticks become down.
/// Sent by PD's own timer when one is configured, or by whoever drives PD's time (tests).
using pd_tick_atom = caf::atom_constant<caf::atom("pd_tick")>;

// -- the interface --------------------------------------------------------------

using pd_actor = caf::typed_actor<
    caf::replies_to<bootstrap_atom, bootstrap_request>::with<std::vector<storage::region_meta>>,
    caf::replies_to<is_bootstrapped_atom>::with<bootstrap_status>,
    caf::replies_to<alloc_id_atom, std::uint32_t>::with<id_range>,
    caf::replies_to<put_store_atom, store_info>::with<store_id>,
    caf::replies_to<store_heartbeat_atom, store_stats>::with<store_heartbeat_response>,
    caf::replies_to<remove_store_atom, store_id>::with<store_info>,
    caf::replies_to<region_heartbeat_atom, region_heartbeat>::with<region_heartbeat_response>,
    caf::replies_to<ask_split_atom, storage::region_meta>::with<split_ids>,
    caf::replies_to<split_region_atom,
                    split_region_request>::with<std::vector<storage::region_meta>>,
    caf::replies_to<get_region_atom, std::string>::with<region_info>,
    caf::replies_to<get_region_by_id_atom, region_id>::with<region_info>,
    caf::replies_to<get_regions_atom>::with<std::vector<region_info>>,
    caf::replies_to<get_store_regions_atom, store_id>::with<std::vector<region_info>>,
    caf::replies_to<get_store_atom, store_id>::with<store_info>,
    caf::replies_to<get_stores_atom>::with<std::vector<store_info>>, caf::reacts_to<pd_tick_atom>,
    caf::reacts_to<push_directive_atom, directive>,
    caf::reacts_to<split_refused_atom, directive, std::string>,
    caf::replies_to<operator_atom, operator_request>::with<operator_info>,
    caf::replies_to<cancel_operator_atom, region_id>::with<operator_info>,
    caf::replies_to<operators_atom>::with<std::vector<operator_info>>,
    caf::replies_to<scheduler_atom, std::string, bool>::with<std::vector<scheduler_info>>,
    caf::replies_to<schedulers_atom>::with<std::vector<scheduler_info>>,
    caf::replies_to<decommission_atom, store_id>::with<store_info>>;

// -- registration ----------------------------------------------------------------

/// Registers every type that travels in PD messages, and the "pd" error category, on `cfg`.
/// Every node that talks to PD over the middleman calls it before creating its actor system.
/// Registering a type twice (e.g. ids also registered by the store actors) is harmless.
inline caf::actor_system_config& add_pd_types(caf::actor_system_config& cfg) {
  // CAF 0.17's add_error_category<T> does not compile (its renderer has the wrong signature),
  // so the renderer is spelled out.
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = "pd: ";
                           out += to_string(static_cast<errc>(code));
                           if (!ctx.empty()) out += " " + to_string(ctx);
                           return out;
                         });
  cfg.add_message_type<region_id>("rdb.region_id");
  cfg.add_message_type<store_id>("rdb.store_id");
  cfg.add_message_type<cluster_id>("rdb.cluster_id");
  cfg.add_message_type<peer_id>("rdb.peer_id");
  cfg.add_message_type<storage::region_epoch>("rdb.region_epoch");
  cfg.add_message_type<storage::region_peer>("rdb.region_peer");
  cfg.add_message_type<storage::region_meta>("rdb.region_meta");
  cfg.add_message_type<tick_no>("pd.tick_no");
  cfg.add_message_type<bootstrap_request>("pd.bootstrap_request");
  cfg.add_message_type<bootstrap_status>("pd.bootstrap_status");
  cfg.add_message_type<id_range>("pd.id_range");
  cfg.add_message_type<split_ids>("pd.split_ids");
  cfg.add_message_type<split_region_request>("pd.split_region_request");
  cfg.add_message_type<store_stats>("pd.store_stats");
  cfg.add_message_type<store_info>("pd.store_info");
  cfg.add_message_type<region_heartbeat>("pd.region_heartbeat");
  cfg.add_message_type<region_info>("pd.region_info");
  cfg.add_message_type<directive>("pd.directive");
  cfg.add_message_type<region_heartbeat_response>("pd.region_heartbeat_response");
  cfg.add_message_type<store_heartbeat_response>("pd.store_heartbeat_response");
  cfg.add_message_type<operator_info>("pd.operator_info");
  cfg.add_message_type<operator_request>("pd.operator_request");
  cfg.add_message_type<scheduler_info>("pd.scheduler_info");
  return cfg;
}

}  // namespace rdb::pd
