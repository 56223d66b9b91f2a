#include "operator_sim.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

std::vector<std::string> split_keys(std::size_t regions) {
  std::vector<std::string> keys;
  for (std::size_t i = 1; i < regions; ++i)
    keys.push_back(std::string(1, static_cast<char>('a' + i)));
  return keys;
}

}  // namespace

operator_sim::operator_sim(cluster_config cfg, std::size_t stores, std::size_t regions,
                           std::uint32_t replicas) {
  cs_ = std::make_unique<cluster_state>(take(cluster_state::open(ms_, cfg)));
  for (const auto& m : take(cs_->bootstrap(make_layout(split_keys(regions), replicas, stores))))
    regions_[m.id] = sim_region{m, m.peers.front().id, {}};
  for (const auto& s : cs_->stores())
    stores_.push_back(s.id);
}

store_id operator_sim::add_store() {
  store_info s;
  s.address = "s" + std::to_string(stores_.size() + 1);
  auto id = take(cs_->put_store(s));
  stores_.push_back(id);
  return id;
}

void operator_sim::apply(const directive& d) {
  auto it = regions_.find(d.region);
  if (it == regions_.end() || d.kind == directive_kind::none) return;
  auto& r = it->second;
  if (d.epoch != r.meta.epoch) return;
  auto& peers = r.meta.peers;
  auto p = std::ranges::find(peers, d.peer.id, &storage::region_peer::id);
  switch (d.kind) {
    case directive_kind::add_learner:
      REQUIRE(p == peers.end());
      peers.push_back(d.peer);
      r.pending.insert(d.peer.id);
      break;
    case directive_kind::promote_learner:
      REQUIRE(p != peers.end());
      p->role = storage::peer_role::voter;
      break;
    case directive_kind::remove_peer:
      REQUIRE(p != peers.end());
      // A leader never removes itself: PD moves leadership first.
      REQUIRE(d.peer.id != r.leader);
      peers.erase(p);
      r.pending.erase(d.peer.id);
      break;
    case directive_kind::transfer_leader:
      REQUIRE(p != peers.end());
      REQUIRE(p->role == storage::peer_role::voter);
      if (dead_.contains(p->store)) return;
      r.leader = p->id;
      r.changed = true;
      applied_.push_back(d);
      return;
    case directive_kind::none:
    case directive_kind::split:
      return;
  }
  ++r.meta.epoch.conf_ver;
  r.changed = true;
  applied_.push_back(d);
}

void operator_sim::round() {
  std::set<region_id> asked;
  for (auto s : stores_) {
    if (dead_.contains(s)) continue;
    auto answer = cs_->on_store_heartbeat(store_stats{s});
    REQUIRE(answer.has_value());
    asked.insert(answer->directives_waiting.begin(), answer->directives_waiting.end());
  }
  for (auto& [id, r] : regions_) {
    // A leader on a dead store is replaced by a live voter, as an election would.
    auto leader = std::ranges::find(r.meta.peers, r.leader, &storage::region_peer::id);
    if (leader == r.meta.peers.end() || dead_.contains(leader->store)) {
      auto next = std::ranges::find_if(r.meta.peers, [&](const storage::region_peer& p) {
        return p.role == storage::peer_role::voter && !dead_.contains(p.store);
      });
      if (next == r.meta.peers.end()) continue;
      r.leader = next->id;
      r.changed = true;
    }
    if (quiet_ && !r.changed && !asked.contains(id)) continue;
    r.changed = false;
    ++reports_;
    region_heartbeat hb;
    hb.region = r.meta;
    hb.leader = r.leader;
    hb.approximate_size = r.size;
    for (const auto& p : r.meta.peers) {
      if (dead_.contains(p.store))
        hb.down_peers.push_back(p);
      else if (r.pending.contains(p.id))
        hb.pending_peers.push_back(p);
    }
    auto resp = cs_->on_region_heartbeat(hb);
    REQUIRE(resp.has_value());
    // Learners catch up between rounds, after the report that listed them as pending.
    if (std::erase_if(r.pending, [&](peer_id p) {
          auto peer = std::ranges::find(r.meta.peers, p, &storage::region_peer::id);
          return peer != r.meta.peers.end() && !stalled_.contains(peer->store) &&
                 !dead_.contains(peer->store);
        }) > 0)
      r.changed = true;
    apply(resp->next);
  }
  cs_->tick();
  check_placement();
}

std::map<store_id, std::size_t> operator_sim::replica_counts() const {
  std::map<store_id, std::size_t> out;
  for (auto s : stores_)
    if (!dead_.contains(s)) out[s] = 0;
  for (const auto& [id, r] : regions_)
    for (const auto& p : r.meta.peers)
      if (out.contains(p.store)) ++out[p.store];
  return out;
}

bool operator_sim::idle() const {
  return std::ranges::none_of(cs_->operators(), [](const operator_info& op) {
    return op.status == operator_status::running;
  });
}

void operator_sim::check_placement() const {
  for (const auto& [id, r] : regions_) {
    std::set<store_id> stores;
    for (const auto& p : r.meta.peers)
      REQUIRE_MESSAGE(stores.insert(p.store).second,
                      "region " << id.value() << " has two replicas on store " << p.store.value());
    REQUIRE(std::ranges::any_of(r.meta.peers, [](const storage::region_peer& p) {
      return p.role == storage::peer_role::voter;
    }));
  }
}

}  // namespace rdb::pd::test
