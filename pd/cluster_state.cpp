#include "pd/cluster_state.hpp"

#include <string>
#include <utility>

#include "pd/layout.hpp"

namespace rdb::pd {

namespace {

std::string describe(store_id id) {
  return "store " + std::to_string(id.value());
}

/// Fails unless every id in the persisted state lies at or below the allocator's mark: an id
/// above it could be handed out again.
result<void> check_ids_below(const persisted_state& st) {
  auto above = [&](std::uint64_t id) { return id > st.id_high_water; };
  for (const auto& s : st.stores)
    if (s.id.is_none() || above(s.id.value()))
      return fail(errc::storage_corrupt, describe(s.id) + " lies above the id high-water mark " +
                                             std::to_string(st.id_high_water));
  for (const auto& r : st.regions) {
    bool bad = r.meta.id.is_none() || above(r.meta.id.value());
    for (const auto& p : r.meta.peers)
      bad = bad || above(p.id.value());
    if (bad)
      return fail(errc::storage_corrupt, "region " + std::to_string(r.meta.id.value()) +
                                             " uses ids above the id high-water mark " +
                                             std::to_string(st.id_high_water));
  }
  return {};
}

}  // namespace

cluster_state::cluster_state(meta_store& store, cluster_config cfg)
    : store_(&store),
      ids_(cfg.id_batch),
      stores_(cfg.store_down_ticks),
      balance_leaders_(cfg.balance_leaders),
      transfer_target_ticks_(cfg.transfer_target_ticks),
      replica_repair_(cfg.replica_repair),
      balance_regions_(cfg.balance_regions),
      max_store_down_ticks_(cfg.max_store_down_ticks),
      schedule_limit_(cfg.schedule_limit),
      operator_timeout_ticks_(cfg.operator_timeout_ticks),
      admin_hold_ticks_(cfg.admin_hold_ticks) {}

result<cluster_state> cluster_state::open(meta_store& store, cluster_config cfg) {
  auto st = store.load();
  if (!st) return std::unexpected(st.error());
  cluster_state cs{store, cfg};
  if (auto ok = cs.restore(*st); !ok) return std::unexpected(ok.error());
  return cs;
}

result<void> cluster_state::restore(const persisted_state& st) {
  if (auto ok = check_ids_below(st); !ok) return ok;
  layout_ = st.bootstrap;
  ids_.restore(st.id_high_water);
  // A restarted PD has heard from nobody yet: every store gets a full liveness window from now.
  for (const auto& s : st.stores) {
    stores_.put(durable_part(s));
    if (s.state != store_state::tombstone) unheard_.insert(s.id);
  }
  for (const auto& r : st.regions) {
    const auto& m = r.meta;
    if (!regions_.overlapping(m.start_key, m.end_key).empty())
      return fail(errc::storage_corrupt,
                  "persisted region " + std::to_string(m.id.value()) + " overlaps another");
    regions_.put(r);
  }
  return {};
}

result<void> cluster_state::require_bootstrapped() const {
  if (!layout_) return fail(errc::not_bootstrapped, "the cluster is not bootstrapped");
  return {};
}

result<void> cluster_state::commit(const change_set& changes) {
  if (changes.empty()) return {};
  return store_->commit(changes);
}

id_allocator::plan cluster_state::reserve_ids(std::uint64_t count, change_set& changes) const {
  auto plan = ids_.reserve(count);
  if (plan.new_high_water) changes.id_high_water = plan.new_high_water;
  return plan;
}

// -- bootstrap ------------------------------------------------------------------

result<std::vector<storage::region_meta>> cluster_state::bootstrap(const bootstrap_request& req) {
  if (layout_) {
    if (*layout_ != req)
      return fail(errc::already_bootstrapped, "cluster " +
                                                  std::to_string(layout_->cluster.value()) +
                                                  " is already bootstrapped with another layout");
    std::vector<storage::region_meta> out;
    for (auto& r : regions_.list())
      out.push_back(std::move(r.meta));
    return out;
  }
  if (auto ok = check_layout(req); !ok) return std::unexpected(ok.error());
  std::size_t new_stores = 0;
  for (const auto& a : req.stores)
    if (!stores_.find_by_address(a)) ++new_stores;
  auto region_count = req.split_keys.size() + 1;
  change_set changes;
  changes.bootstrap = req;
  auto plan = reserve_ids(new_stores + region_count * (1 + req.replicas), changes);
  auto next = plan.ids.first;
  std::vector<store_id> placed;
  for (const auto& a : req.stores) {
    if (const auto* known = stores_.find_by_address(a)) {
      placed.push_back(known->id);
      continue;
    }
    store_info s;
    s.id = store_id{next++};
    s.address = a;
    s.stats.store = s.id;
    s.last_heartbeat = now_;
    placed.push_back(s.id);
    changes.stores.push_back(std::move(s));
  }
  auto placement = place_replicas(placed, region_count, req.replicas);
  std::vector<storage::region_meta> metas;
  for (std::size_t i = 0; i < region_count; ++i) {
    storage::region_meta m;
    m.id = region_id{next++};
    m.start_key = i == 0 ? std::string{} : req.split_keys[i - 1];
    m.end_key = i + 1 == region_count ? std::string{} : req.split_keys[i];
    m.epoch = storage::bootstrap_epoch;
    for (auto store : placement[i])
      m.peers.push_back(storage::region_peer{peer_id{next++}, store, storage::peer_role::voter});
    metas.push_back(m);
    changes.regions.push_back(region_info{std::move(m), {}, 0, 0, {}, {}});
  }
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  ids_.commit(plan);
  layout_ = req;
  for (auto& s : changes.stores)
    stores_.put(std::move(s));
  for (auto& r : changes.regions)
    regions_.put(std::move(r));
  return metas;
}

bootstrap_status cluster_state::status() const {
  return layout_ ? bootstrap_status{true, layout_->cluster} : bootstrap_status{};
}

// -- ids --------------------------------------------------------------------------

result<id_range> cluster_state::alloc_ids(std::uint64_t count) {
  if (count == 0) return fail(errc::invalid_argument, "cannot allocate 0 ids");
  change_set changes;
  auto plan = reserve_ids(count, changes);
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  ids_.commit(plan);
  return plan.ids;
}

// -- stores -----------------------------------------------------------------------

result<store_id> cluster_state::put_store(const store_info& info) {
  if (info.id.is_none()) {
    if (info.address.empty()) return fail(errc::invalid_argument, "a new store needs an address");
    if (const auto* known = stores_.find_by_address(info.address)) {
      auto again = info;
      again.id = known->id;
      return put_store(again);
    }
    change_set changes;
    auto plan = reserve_ids(1, changes);
    store_info s;
    s.id = store_id{plan.ids.first};
    s.address = info.address;
    s.client_address = info.client_address;
    s.stats.store = s.id;
    s.last_heartbeat = now_;
    changes.stores.push_back(s);
    if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
    ids_.commit(plan);
    stores_.put(s);
    return s.id;
  }
  const auto* known = stores_.find(info.id);
  if (!known) return fail(errc::unknown_store, describe(info.id) + " was never registered");
  if (known->state == store_state::tombstone)
    return fail(errc::store_tombstone, describe(info.id) + " was removed");
  unheard_.erase(info.id);
  bool same_address = info.address.empty() || info.address == known->address;
  bool same_client = info.client_address.empty() || info.client_address == known->client_address;
  if (same_address && same_client) return known->id;
  if (!same_address)
    if (const auto* other = stores_.find_by_address(info.address))
      return fail(errc::invalid_argument,
                  "address " + info.address + " belongs to " + describe(other->id));
  auto moved = *known;
  if (!same_address) moved.address = info.address;
  if (!same_client) moved.client_address = info.client_address;
  change_set changes;
  changes.stores.push_back(moved);
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  stores_.put(std::move(moved));
  return info.id;
}

result<store_heartbeat_response> cluster_state::on_store_heartbeat(const store_stats& stats) {
  auto* s = stores_.find_mutable(stats.store);
  if (!s) return fail(errc::unknown_store, describe(stats.store) + " was never registered");
  if (s->state == store_state::tombstone)
    return fail(errc::store_tombstone, describe(stats.store) + " was removed");
  s->stats = stats;
  s->last_heartbeat = now_;
  s->state = store_state::up;
  unheard_.erase(stats.store);
  store_heartbeat_response out{*s, {}};
  // An operator waiting for a learner to catch up has no directive out, but learns of it only
  // from a report.
  auto waiting = [&](region_id id) {
    const auto* r = regions_.find_by_id(id);
    if (r && !r->leader.id.is_none() && r->leader.store == stats.store)
      out.directives_waiting.push_back(id);
  };
  for (const auto& [id, d] : directives_)
    waiting(id);
  for (const auto& [id, op] : operators_)
    if (!directives_.contains(id)) waiting(id);
  return out;
}

result<store_info> cluster_state::remove_store(store_id id) {
  const auto* known = stores_.find(id);
  if (!known) return fail(errc::unknown_store, describe(id) + " was never registered");
  if (known->state == store_state::tombstone) return *known;
  auto removed = *known;
  removed.state = store_state::tombstone;
  change_set changes;
  changes.stores.push_back(removed);
  if (auto ok = commit(changes); !ok) return std::unexpected(ok.error());
  stores_.put(removed);
  return removed;
}

result<store_info> cluster_state::store(store_id id) const {
  if (const auto* s = stores_.find(id)) return *s;
  return fail(errc::unknown_store, describe(id) + " was never registered");
}

std::vector<store_info> cluster_state::stores() const {
  return stores_.list();
}

// -- time -------------------------------------------------------------------------

void cluster_state::tick() {
  advance_to(now_ + 1);
}

void cluster_state::advance_to(tick_no now) {
  if (now <= now_) return;
  now_ = now;
  stores_.update_liveness(now_);
  std::vector<region_id> late;
  for (const auto& [id, op] : operators_)
    if (op.deadline <= now_) late.push_back(id);
  for (auto id : late)
    stop_operator(id, operator_status::timed_out, "not finished in time", regions_.find_by_id(id));
  retire_decommissioned();
  std::erase_if(held_until_, [&](const auto& e) { return e.second <= now_; });
  patrol();
}

}  // namespace rdb::pd
