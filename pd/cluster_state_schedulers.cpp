#include <algorithm>
#include <string>
#include <utility>

#include "pd/cluster_state.hpp"
#include "pd/operator.hpp"

namespace rdb::pd {

namespace {

constexpr std::string_view repair = "replica-repair";
constexpr std::string_view balance = "region-balance";
constexpr std::string_view decommissioning = "decommission";

}  // namespace

bool cluster_state::evacuating(store_id store) const {
  const auto* s = stores_.find(store);
  if (!s || s->state == store_state::tombstone || s->decommissioning) return true;
  return s->state == store_state::down && now_ - s->last_heartbeat >= max_store_down_ticks_;
}

bool cluster_state::placement_target(store_id store) const {
  const auto* s = stores_.find(store);
  return s && !s->decommissioning && transfer_target(store);
}

std::int64_t cluster_state::effective_load(store_id store) const {
  auto n = static_cast<std::int64_t>(regions_.peer_weight(store));
  for (const auto& [id, op] : operators_) {
    const auto* r = regions_.find_by_id(id);
    auto w = static_cast<std::int64_t>(r ? balance_weight(*r) : balance_weight(region_info{}));
    for (auto i = op.current; i < op.steps.size(); ++i) {
      const auto& step = op.steps[i];
      if (step.peer.store != store) continue;
      if (step.kind == directive_kind::add_learner) n += w;
      if (step.kind == directive_kind::remove_peer) n -= w;
    }
  }
  return n;
}

std::optional<std::pair<store_id, std::int64_t>> cluster_state::best_target(
    const region_info& info) const {
  std::optional<std::pair<store_id, std::int64_t>> best;
  for (const auto& s : stores_.list()) {
    if (!placement_target(s.id) || peer_on(info.meta, s.id)) continue;
    auto n = effective_load(s.id);
    if (!best || n < best->second) best = std::pair{s.id, n};
  }
  return best;
}

std::optional<storage::region_peer> cluster_state::new_peer_for(const region_info& info) {
  auto target = best_target(info);
  if (!target) return std::nullopt;
  change_set changes;
  auto plan = reserve_ids(1, changes);
  if (!commit(changes)) return std::nullopt;
  ids_.commit(plan);
  return storage::region_peer{plan.ids.peer(0), target->first, storage::peer_role::learner};
}

directive cluster_state::schedule(const region_info& info) {
  if (operators_.contains(info.meta.id) || !fresh_view()) return directive{};
  if (auto d = check_replicas(info); d.kind != directive_kind::none) return d;
  if (operators_.contains(info.meta.id)) return directive{};
  return balance_region(info);
}

void cluster_state::patrol() {
  if (!layout_ || !fresh_view()) return;
  for (const auto& info : regions_.list())
    if (!operators_.contains(info.meta.id) && !directives_.contains(info.meta.id))
      (void)schedule(info);
}

directive cluster_state::check_replicas(const region_info& info) {
  const auto& m = info.meta;
  // A replica on a decommissioning store moves whether or not repair is on: a person asked.
  for (const auto& p : m.peers) {
    const auto* s = stores_.find(p.store);
    bool leaving = s && s->decommissioning && s->state != store_state::tombstone;
    if (!leaving && !(replica_repair_ && evacuating(p.store))) continue;
    auto origin = leaving ? decommissioning : repair;
    if (running(origin) >= schedule_limit_) return directive{};
    if (p.role == storage::peer_role::learner)
      return start_operator(info, "remove-peer", std::string{origin}, remove_steps(p));
    auto added = new_peer_for(info);
    if (!added) return directive{};
    return start_operator(info, "move-peer", std::string{origin}, move_steps(p, *added));
  }
  if (!replica_repair_ || running(repair) >= schedule_limit_ || !layout_) return directive{};
  // No operator runs for this region: a learner is one a PD restart or a split left behind.
  for (const auto& p : m.peers)
    if (p.role == storage::peer_role::learner)
      return start_operator(info, "remove-peer", std::string{repair}, remove_steps(p));
  auto voters = voter_count(m);
  if (voters < layout_->replicas) {
    auto added = new_peer_for(info);
    if (!added) return directive{};
    return start_operator(info, "add-peer", std::string{repair}, add_steps(*added));
  }
  if (voters > layout_->replicas) {
    // The extra voter on the store holding most replicas goes; a down one before any other.
    const storage::region_peer* worst = nullptr;
    auto score = [&](const storage::region_peer& p) {
      auto down = std::ranges::find(info.down_peers, p.id, &storage::region_peer::id) !=
                  info.down_peers.end();
      return std::pair{down, effective_load(p.store)};
    };
    for (const auto& p : m.peers)
      if (!worst || score(p) > score(*worst)) worst = &p;
    return start_operator(info, "remove-peer", std::string{repair}, remove_steps(*worst));
  }
  return directive{};
}

directive cluster_state::balance_region(const region_info& info) {
  if (!balance_regions_ || running(balance) >= schedule_limit_ || !layout_ || held(info.meta.id))
    return directive{};
  const auto& m = info.meta;
  // Only a region at rest moves: every replica a caught-up voter its leader hears from.
  if (!info.pending_peers.empty() || !info.down_peers.empty() || voter_count(m) != m.peers.size() ||
      m.peers.size() != layout_->replicas)
    return directive{};
  const storage::region_peer* from = nullptr;
  std::int64_t from_load = 0;
  for (const auto& p : m.peers) {
    auto n = effective_load(p.store);
    if (!from || n > from_load) from = &p, from_load = n;
  }
  // The move must narrow the gap without turning it around: more than twice the region's
  // weight apart (with regions alike in size, two replicas).
  auto to = best_target(info);
  if (!from || !to || from_load < to->second + 2 * static_cast<std::int64_t>(balance_weight(info)))
    return directive{};
  auto added = new_peer_for(info);
  if (!added) return directive{};
  return start_operator(info, "move-peer", std::string{balance}, move_steps(*from, *added));
}

}  // namespace rdb::pd
