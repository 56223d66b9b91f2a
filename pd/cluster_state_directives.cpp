#include <algorithm>
#include <string>

#include "pd/cluster_state.hpp"

namespace rdb::pd {

namespace {

const storage::region_peer* find_peer(const storage::region_meta& m, peer_id id) {
  auto it = std::ranges::find(m.peers, id, &storage::region_peer::id);
  return it == m.peers.end() ? nullptr : &*it;
}

/// Whether `d` is a step the region `m` can take: it names a peer that is (or, for a new
/// learner, is not yet) a member in the right role, or brings one id per peer for a split.
bool fits(const directive& d, const storage::region_meta& m) {
  const auto* peer = find_peer(m, d.peer.id);
  switch (d.kind) {
    case directive_kind::none:
      return false;
    case directive_kind::add_learner:
      return !d.peer.id.is_none() && !d.peer.store.is_none() && !peer &&
             d.peer.role == storage::peer_role::learner;
    case directive_kind::promote_learner:
      return peer && peer->role == storage::peer_role::learner;
    case directive_kind::remove_peer:
      return peer != nullptr;
    case directive_kind::transfer_leader:
      return peer && peer->role == storage::peer_role::voter;
    case directive_kind::split:
      return !d.split.new_region.is_none() && d.split.new_peers.size() == m.peers.size();
  }
  return false;
}

}  // namespace

result<void> cluster_state::push_directive(const directive& d) {
  if (auto ok = require_bootstrapped(); !ok) return ok;
  const auto* known = regions_.find_by_id(d.region);
  if (!known)
    return fail(errc::unknown_region, "region " + std::to_string(d.region.value()) + " is unknown");
  if (d.epoch != known->meta.epoch)
    return std::unexpected(failure{errc::stale_epoch,
                                   "directive for region " + std::to_string(d.region.value()) +
                                       " was computed against another epoch",
                                   known->meta});
  if (!fits(d, known->meta))
    return fail(errc::invalid_argument,
                to_string(d.kind) + " does not fit region " + std::to_string(d.region.value()));
  directives_.insert_or_assign(d.region, d);
  // Only people push transfers (the leader balancer queues its own).
  if (d.kind == directive_kind::transfer_leader) hold(d.region);
  return {};
}

bool cluster_state::drop_directive(const directive& d) {
  auto it = directives_.find(d.region);
  if (it == directives_.end() || it->second != d) return false;
  directives_.erase(it);
  return true;
}

std::optional<directive> cluster_state::pending_directive(region_id id) const {
  auto it = directives_.find(id);
  if (it == directives_.end()) return std::nullopt;
  return it->second;
}

bool cluster_state::transfer_target(store_id store) const {
  const auto* s = stores_.find(store);
  return s && s->state == store_state::up && !unheard_.contains(store) &&
         now_ - s->last_heartbeat < transfer_target_ticks_;
}

bool cluster_state::fresh_view() const {
  return std::none_of(unheard_.begin(), unheard_.end(), [&](store_id id) {
    const auto* s = stores_.find(id);
    return s && s->state == store_state::up;
  });
}

std::optional<directive> cluster_state::balance_leader(const region_info& info) const {
  if (info.leader.id.is_none() || !fresh_view()) return std::nullopt;
  // Leader counts as they will be once the transfers already ordered took effect.
  auto effective = [&](store_id store) {
    auto n = static_cast<std::int64_t>(regions_.leader_count(store));
    for (const auto& [id, d] : directives_) {
      if (d.kind != directive_kind::transfer_leader) continue;
      const auto* r = regions_.find_by_id(id);
      if (!r || r->leader.id.is_none()) continue;
      if (d.peer.store == store) ++n;
      if (r->leader.store == store) --n;
    }
    return n;
  };
  auto from = effective(info.leader.store);
  const storage::region_peer* best = nullptr;
  std::int64_t best_count = 0;
  for (const auto& p : info.meta.peers) {
    if (p.role != storage::peer_role::voter || p.store == info.leader.store) continue;
    if (!transfer_target(p.store)) continue;
    auto n = effective(p.store);
    if (!best || n < best_count) best = &p, best_count = n;
  }
  if (!best || from < best_count + 2) return std::nullopt;
  directive d;
  d.kind = directive_kind::transfer_leader;
  d.region = info.meta.id;
  d.epoch = info.meta.epoch;
  d.peer = *best;
  return d;
}

directive cluster_state::next_directive(const region_info& info) {
  auto it = directives_.find(info.meta.id);
  if (it == directives_.end()) return directive{};
  const auto& d = it->second;
  bool done = d.epoch != info.meta.epoch ||
              (d.kind == directive_kind::transfer_leader && info.leader.id == d.peer.id);
  if (d.kind == directive_kind::transfer_leader) {
    // A transfer to a store that went silent or down would be asked for on every heartbeat.
    done = done || !transfer_target(d.peer.store);
  }
  if (done) {
    directives_.erase(it);
    return directive{};
  }
  return d;
}

}  // namespace rdb::pd
