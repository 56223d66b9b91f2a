#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pd/failure.hpp"
#include "pd/id_allocator.hpp"
#include "pd/meta_store.hpp"
#include "pd/region_table.hpp"
#include "pd/store_table.hpp"
#include "pd/types.hpp"

namespace rdb::pd {

struct cluster_config {
  /// Ids the allocator persists ahead of what it hands out.
  std::uint64_t id_batch = id_allocator::default_batch;
  /// Ticks without a heartbeat after which a store is down.
  std::uint64_t store_down_ticks = 10;
  /// Moves leadership off a store that leads at least two regions more than another live store
  /// holding a voter of the region (a transfer_leader directive on the region's heartbeat).
  bool balance_leaders = false;
  /// Leadership goes only to a store heard from within this many ticks. A store that just died
  /// stays up for `store_down_ticks`, and a transfer to it stalls the region's writes until
  /// the transfer times out (stores heartbeat every tick by default).
  std::uint64_t transfer_target_ticks = 3;
  /// Replica repair: replicas on a store down this many ticks (or decommissioning) are rebuilt
  /// elsewhere, a region short of voters gets one, and extra voters and stray learners (left by
  /// an operator a PD restart forgot) are removed. Decommissioning works with it off.
  bool replica_repair = false;
  std::uint64_t max_store_down_ticks = 1800;
  /// Region balance: moves replicas from the store holding most to the one holding least,
  /// weighing each by its region's size (`balance_weight`), until no move narrows a gap.
  bool balance_regions = false;
  /// Operators a scheduler runs at once, per scheduler (admin operators are not limited).
  std::uint32_t schedule_limit = 4;
  /// An operator not finished within this many ticks stops and is rolled back.
  std::uint64_t operator_timeout_ticks = 600;
  /// After a person's transfer or operator on a region, the balancers leave the region alone
  /// for this many ticks: they must not undo at once what was asked for.
  std::uint64_t admin_hold_ticks = 60;
};

/// Everything the placement driver knows, and the rules for changing it. No CAF, no clock, no
/// threads: time enters through `tick()` / `advance_to()`, durability through a `meta_store`.
///
/// Every mutating operation first decides, then commits its whole effect to the meta store in
/// one `change_set`, and only then applies it to memory: a failed commit (`storage_failure`)
/// leaves both untouched, so memory never runs ahead of disk. Operations that only touch soft
/// state (heartbeat figures, liveness) write nothing.
///
/// Epoch rule for region reports: a region's epoch only grows. A report whose version or
/// conf_ver is smaller than PD's for that region is stale; so is one whose range overlaps a
/// different region with a greater version (the report predates the split that made it).
/// A newer report replaces PD's entry and removes the older regions it overlaps.
class cluster_state {
 public:
  /// Reads the persisted state of `store`, which must outlive the cluster state.
  static result<cluster_state> open(meta_store& store, cluster_config cfg = {});

  // -- bootstrap ---------------------------------------------------------------

  /// Registers the layout's stores and creates the initial regions (epoch {1, 1}), answering
  /// their metas in key order. An identical retry answers the current regions.
  result<std::vector<storage::region_meta>> bootstrap(const bootstrap_request& req);

  bootstrap_status status() const;

  // -- ids ---------------------------------------------------------------------

  result<id_range> alloc_ids(std::uint64_t count);

  // -- stores ------------------------------------------------------------------

  /// Registers a store (see put_store_atom in pd/pd_interface.hpp for the rules).
  result<store_id> put_store(const store_info& info);

  result<store_heartbeat_response> on_store_heartbeat(const store_stats& stats);

  result<store_info> remove_store(store_id id);

  result<store_info> store(store_id id) const;

  /// Ordered by id, tombstones included.
  std::vector<store_info> stores() const;

  // -- regions -----------------------------------------------------------------

  /// Reconciles a leader's report with the region table; the response carries the region's
  /// pending directive, if any.
  result<region_heartbeat_response> on_region_heartbeat(const region_heartbeat& hb);

  result<split_ids> ask_split(const storage::region_meta& region);

  result<region_info> region_by_key(std::string_view key) const;

  result<region_info> region_by_id(region_id id) const;

  /// In key order.
  result<std::vector<region_info>> regions() const;

  /// The regions with a peer on `store`, in key order.
  result<std::vector<region_info>> store_regions(store_id store) const;

  // -- directives --------------------------------------------------------------

  /// Queues `d` for its region, replacing any directive pending there. The directive rides
  /// every response to a heartbeat that reports `d.epoch`, so a lost response costs one
  /// heartbeat period; it is dropped once the region reports another epoch (the step took
  /// effect or was overtaken), once a transfer's target leads or its store is no longer up, or
  /// when the region leaves the table. Refused unless `d.epoch` is PD's current epoch of the region
  /// (`stale_epoch`) and the step fits the membership (`invalid_argument`). Pending directives are
  /// soft state: a restarted PD has none, and its scheduler decides again.
  result<void> push_directive(const directive& d);
  /// Orders a split of region `id` at `key` (empty: where its leader's store finds the middle
  /// of its data), against `epoch` (none, i.e. 0/0: PD's current one): allocates the child's
  /// ids and queues the split directive for the region's leader. Refused with
  /// `unknown_region`, `stale_epoch` (an epoch other than PD's), or `invalid_argument` (a key
  /// at or outside the region's bounds, or one longer than a key may be).
  result<directive> order_split(region_id id, const std::string& key,
                                const storage::region_epoch& epoch);
  /// The two halves of the split `d` ordered, once PD's table holds the child; nothing before.
  std::optional<std::vector<storage::region_meta>> split_outcome(const directive& d) const;

  /// Drops the directive pending for `d.region` if it is `d` (a refusal of an older one
  /// changes nothing). Answers whether it dropped it.
  bool drop_directive(const directive& d);

  /// The directive pending for `id`, if any.
  std::optional<directive> pending_directive(region_id id) const;

  // -- operators and schedulers -------------------------------------------------

  /// Starts an operator for a person or a script (see operator_atom in pd/pd_interface.hpp for
  /// the rules). Allocates the new peer's id. Answers the operator as started.
  result<operator_info> create_operator(const operator_request& req);

  /// Stops the running operator of region `id` as cancelled; a learner it added is then removed
  /// by a rollback operator. Answers the cancelled operator.
  result<operator_info> cancel_operator(region_id id);

  /// The running operators in region order, then up to `history_size` stopped ones, newest
  /// first.
  std::vector<operator_info> operators() const;
  static constexpr std::size_t history_size = 64;

  /// Switches a scheduler ("balance-leader", "balance-region", "replica-repair") on or off;
  /// answers every scheduler's state.
  result<std::vector<scheduler_info>> set_scheduler(const std::string& name, bool on);
  std::vector<scheduler_info> schedulers() const;

  /// Starts decommissioning store `id`: nothing is placed on it any more, its replicas move to
  /// other stores, and it becomes a tombstone once PD's table shows none on it. Refused
  /// (`invalid_argument`) while a region with a replica there would lack a store to move to,
  /// or a quorum of its voters on other live stores. Idempotent; persisted.
  result<store_info> decommission(store_id id);

  // -- time --------------------------------------------------------------------

  /// Advances PD time by one tick, re-evaluates store liveness, stops operators past their
  /// deadline, tombstones decommissioned stores that hold no replica any more, and offers the
  /// regions nobody works on to the schedulers.
  void tick();

  /// Moves PD time forward to `now` (never backwards) and re-evaluates store liveness.
  void advance_to(tick_no now);

  tick_no now() const { return now_; }

 private:
  cluster_state(meta_store& store, cluster_config cfg);

  result<void> restore(const persisted_state& st);
  result<void> require_bootstrapped() const;
  result<void> commit(const change_set& changes);

  /// Plans `count` ids into `changes`; the plan is committed by the caller after persisting.
  id_allocator::plan reserve_ids(std::uint64_t count, change_set& changes) const;

  /// Fails with stale_epoch if PD knows a newer epoch of `meta`'s region, or a region with a
  /// greater version overlapping `meta`'s range; answers the overlapped other regions.
  result<std::vector<region_id>> check_epoch(const storage::region_meta& meta) const;

  /// The directive to hand out with a heartbeat just accepted for `info`; drops directives
  /// that are done or obsolete.
  directive next_directive(const region_info& info);

  /// A transfer_leader directive that evens out leader counts, if `info`'s leader's store
  /// leads two or more regions than the least-loaded live store with a voter of `info`.
  /// Transfers already ordered count as done, so one round of heartbeats does not overshoot.
  std::optional<directive> balance_leader(const region_info& info) const;

  /// Whether leadership may go to `store`: up, and heard from recently by this PD.
  bool transfer_target(store_id store) const;

  /// Whether every store that counts as up was heard from by this PD: leader counts and
  /// liveness restored from disk describe the cluster as it was before a restart.
  bool fresh_view() const;

  /// Registers an operator for `r` under a fresh id and answers its first directive; none,
  /// registering nothing, if the id cannot be persisted.
  directive start_operator(const region_info& r, std::string kind, std::string origin,
                           std::vector<operator_step> steps);
  /// Moves the operator of `id` to the history with `status`; starts its rollback, if it left
  /// something to undo in `r` (null: the region is gone).
  void stop_operator(region_id id, operator_status status, std::string reason,
                     const region_info* r);
  /// The directive of the operator running for `info`, advanced by the report; stops operators
  /// that finished or failed.
  directive operator_directive(const region_info& info);
  /// Asks the schedulers, in order (replica repair and decommission, region balance), for an
  /// operator for `info`; answers its first directive, or none.
  directive schedule(const region_info& info);
  /// Offers every region without an operator or a directive to the schedulers, from PD's
  /// table: a quiet region reports rarely, and its operator's first step goes out as soon as
  /// the store heartbeat's answer asks its leader to report.
  void patrol();
  directive check_replicas(const region_info& info);
  directive balance_region(const region_info& info);
  /// A peer (with a fresh id) for `info` on the store best placed to take one: live, heard
  /// from, not decommissioning, without a replica of the region, with the least load (counting
  /// operators in flight). None if no store fits or ids cannot be persisted.
  std::optional<storage::region_peer> new_peer_for(const region_info& info);
  /// That store and its load, without allocating anything.
  std::optional<std::pair<store_id, std::int64_t>> best_target(const region_info& info) const;
  /// The balance weights (`balance_weight`) of the replicas on `store` as they will be once
  /// running operators finish: by count while regions are alike in size, by size when not.
  std::int64_t effective_load(store_id store) const;
  /// Whether replicas on `store` must go elsewhere: removed, decommissioning, or down for
  /// `max_store_down_ticks`.
  bool evacuating(store_id store) const;
  /// Whether `store` may receive a replica now.
  bool placement_target(store_id store) const;
  std::size_t running(std::string_view origin) const;
  /// Keeps the balancers off `id` for `admin_hold_ticks` from now.
  void hold(region_id id);
  /// Whether the balancers leave `id` alone now.
  bool held(region_id id) const;
  /// Tombstones decommissioning stores that hold no replica any more.
  void retire_decommissioned();

  meta_store* store_;
  std::optional<bootstrap_request> layout_;
  id_allocator ids_;
  store_table stores_;
  region_table regions_;
  std::map<region_id, directive> directives_;
  /// Regions a person acted on lately, with the tick until which the balancers skip them.
  std::map<region_id, tick_no> held_until_;
  std::map<region_id, operator_info> operators_;
  /// Stopped operators, newest first, at most `history_size`.
  std::vector<operator_info> history_;
  /// Stores restored from disk that this PD has not heard from since it started. They count
  /// as up for a full liveness window, but nothing is moved onto them on that belief.
  std::set<store_id> unheard_;
  bool balance_leaders_;
  std::uint64_t transfer_target_ticks_;
  bool replica_repair_;
  bool balance_regions_;
  std::uint64_t max_store_down_ticks_;
  std::uint32_t schedule_limit_;
  std::uint64_t operator_timeout_ticks_;
  std::uint64_t admin_hold_ticks_;
  tick_no now_;
};

}  // namespace rdb::pd
