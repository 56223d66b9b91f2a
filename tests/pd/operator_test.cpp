#include <doctest/doctest.h>

#include <algorithm>

#include "operator_sim.hpp"
#include "pd/memory_meta_store.hpp"
#include "pd/operator.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

cluster_config quiet() {
  cluster_config cfg;
  cfg.operator_timeout_ticks = 50;
  return cfg;
}

const sim_region& first(const operator_sim& sim) {
  return sim.regions().begin()->second;
}

store_id leader_store(const sim_region& r) {
  return std::ranges::find(r.meta.peers, r.leader, &storage::region_peer::id)->store;
}

/// A store of the simulation without a replica of `r`.
store_id spare(const operator_sim& sim, const sim_region& r, std::size_t stores) {
  for (std::size_t i = 0; i < stores; ++i)
    if (!peer_on(r.meta, sim.store(i))) return sim.store(i);
  FAIL("every store holds a replica");
  return store_id{};
}

std::vector<directive_kind> kinds(const std::vector<directive>& ds, region_id region) {
  std::vector<directive_kind> out;
  for (const auto& d : ds)
    if (d.region == region) out.push_back(d.kind);
  return out;
}

const operator_info& last_stopped(cluster_state& cs, region_id region) {
  static operator_info found;
  auto ops = cs.operators();
  auto it = std::ranges::find_if(ops, [&](const operator_info& op) {
    return op.region == region && op.status != operator_status::running;
  });
  REQUIRE(it != ops.end());
  found = *it;
  return found;
}

/// Adds a store to `sim` (3 stores, 17 regions) and runs until the replica counts are within 1
/// with no operator left, every region with its 3 voters.
void balance_onto_new_store(operator_sim& sim) {
  auto added = sim.add_store();
  auto balanced = [&] {
    auto counts = sim.replica_counts();
    auto [lo, hi] = std::ranges::minmax_element(counts, {}, [](auto& e) { return e.second; });
    return hi->second - lo->second <= 1 && sim.idle();
  };
  CHECK(sim.run_until(balanced, 300));
  CHECK(sim.replica_counts().at(added) >= 12);
  for (const auto& [id, r] : sim.regions())
    CHECK(voter_count(r.meta) == 3);
}

}  // namespace

TEST_CASE(
    "operators: a move adds a learner, waits for it, promotes it, moves leadership "
    "off the source and removes it") {
  operator_sim sim(quiet(), 4, 1);
  const auto& r = first(sim);
  auto id = r.meta.id;
  auto from = leader_store(r);
  auto to = spare(sim, r, 4);
  sim.round();
  auto op = take(sim.pd().create_operator({operator_request_kind::move_peer, id, from, to}));
  CHECK(op.status == operator_status::running);
  CHECK(op.kind == "move-peer");
  CHECK(op.origin == "admin");
  REQUIRE(op.steps.size() == 3);
  CHECK(sim.run_until([&] { return sim.idle(); }));
  CHECK(kinds(sim.applied(), id) ==
        std::vector{directive_kind::add_learner, directive_kind::promote_learner,
                    directive_kind::transfer_leader, directive_kind::remove_peer});
  CHECK_FALSE(peer_on(first(sim).meta, from));
  auto added = peer_on(first(sim).meta, to);
  REQUIRE(added);
  CHECK(added->role == storage::peer_role::voter);
  CHECK(voter_count(first(sim).meta) == 3);
  auto done = last_stopped(sim.pd(), id);
  CHECK(done.status == operator_status::finished);
  CHECK(done.current == done.steps.size());
}

TEST_CASE("operators: no promotion while the learner is still catching up") {
  operator_sim sim(quiet(), 4, 1);
  const auto& r = first(sim);
  auto id = r.meta.id;
  auto to = spare(sim, r, 4);
  sim.stall(to);
  sim.round();
  take(sim.pd().create_operator({operator_request_kind::add_peer, id, store_id{}, to}));
  for (int i = 0; i < 20; ++i)
    sim.round();
  CHECK(kinds(sim.applied(), id) == std::vector{directive_kind::add_learner});
  REQUIRE(sim.pd().operators().front().status == operator_status::running);
  CHECK(sim.pd().operators().front().current == 1);
}

TEST_CASE("operators: one at a time per region, and requests that cannot work are refused") {
  operator_sim sim(quiet(), 4, 1);
  const auto& r = first(sim);
  auto id = r.meta.id;
  auto holder = r.meta.peers[0].store;
  auto other = r.meta.peers[1].store;
  auto to = spare(sim, r, 4);
  auto& pd = sim.pd();
  using k = operator_request_kind;
  CHECK(code_of(pd.create_operator({k::move_peer, region_id{999}, holder, to})) ==
        errc::unknown_region);
  CHECK(code_of(pd.create_operator({k::move_peer, id, to, other})) == errc::invalid_argument);
  CHECK(code_of(pd.create_operator({k::move_peer, id, holder, other})) == errc::invalid_argument);
  CHECK(code_of(pd.create_operator({k::add_peer, id, store_id{}, store_id{77}})) ==
        errc::unknown_store);
  CHECK(code_of(pd.create_operator({k::transfer_leader, id, store_id{}, to})) ==
        errc::invalid_argument);
  // Two of three voters down: removing the third would leave no quorum on live stores.
  sim.kill(r.meta.peers[1].store);
  sim.kill(r.meta.peers[2].store);
  for (int i = 0; i < 12; ++i)
    sim.round();
  CHECK(code_of(pd.create_operator({k::remove_peer, id, holder, store_id{}})) ==
        errc::invalid_argument);
  sim.revive(r.meta.peers[1].store);
  sim.revive(r.meta.peers[2].store);
  sim.round();
  take(pd.create_operator({k::move_peer, id, holder, to}));
  CHECK(code_of(pd.create_operator({k::remove_peer, id, other, store_id{}})) ==
        errc::invalid_argument);
}

TEST_CASE("operators: a learner that never catches up is removed when its operator times out") {
  auto cfg = quiet();
  cfg.operator_timeout_ticks = 10;
  operator_sim sim(cfg, 4, 1);
  auto id = first(sim).meta.id;
  auto from = first(sim).meta.peers[1].store;
  auto to = spare(sim, first(sim), 4);
  sim.stall(to);
  sim.round();
  take(sim.pd().create_operator({operator_request_kind::move_peer, id, from, to}));
  CHECK(sim.run_until([&] { return sim.idle(); }, 40));
  auto ops = sim.pd().operators();
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].kind == "rollback");
  CHECK(ops[0].status == operator_status::finished);
  CHECK(ops[1].kind == "move-peer");
  CHECK(ops[1].status == operator_status::timed_out);
  CHECK(kinds(sim.applied(), id) ==
        std::vector{directive_kind::add_learner, directive_kind::remove_peer});
  CHECK_FALSE(peer_on(first(sim).meta, to));
  CHECK(peer_on(first(sim).meta, from));
  CHECK(first(sim).meta.peers.size() == 3);
}

TEST_CASE("operators: cancelling a move rolls its learner back; cancelling nothing is refused") {
  operator_sim sim(quiet(), 4, 1);
  auto id = first(sim).meta.id;
  auto to = spare(sim, first(sim), 4);
  sim.stall(to);
  sim.round();
  CHECK(code_of(sim.pd().cancel_operator(id)) == errc::invalid_argument);
  take(sim.pd().create_operator(
      {operator_request_kind::move_peer, id, first(sim).meta.peers[2].store, to}));
  sim.round();
  sim.round();
  REQUIRE(peer_on(first(sim).meta, to));
  auto cancelled = take(sim.pd().cancel_operator(id));
  CHECK(cancelled.status == operator_status::cancelled);
  CHECK(sim.run_until([&] { return !peer_on(first(sim).meta, to) && sim.idle(); }, 10));
  CHECK(first(sim).meta.peers.size() == 3);
}

TEST_CASE(
    "replica repair: the replicas of a store down past max-store-down-time are rebuilt "
    "on the other stores") {
  auto cfg = quiet();
  cfg.replica_repair = true;
  cfg.max_store_down_ticks = 15;
  operator_sim sim(cfg, 5, 12);
  auto victim = sim.store(1);
  sim.round();
  sim.kill(victim);
  // Down after 10 silent ticks, evacuated only 15 ticks after its last heartbeat.
  for (int i = 0; i < 14; ++i)
    sim.round();
  CHECK(sim.applied().empty());
  auto repaired = [&] {
    for (const auto& [id, r] : sim.regions())
      if (peer_on(r.meta, victim) || r.meta.peers.size() != 3 || voter_count(r.meta) != 3)
        return false;
    return sim.idle();
  };
  CHECK(sim.run_until(repaired, 200));
  for (const auto& [s, n] : sim.replica_counts())
    CHECK(n > 0);
}

TEST_CASE(
    "replica repair: a stray learner and an extra voter (left by a forgotten operator) "
    "are removed, and a region short of voters gets one") {
  auto cfg = quiet();
  cfg.replica_repair = true;
  operator_sim sim(cfg, 5, 3);
  auto it = sim.regions().begin();
  auto a = it->second.meta;
  auto b = (++it)->second.meta;
  auto c = (++it)->second.meta;
  sim.round();
  auto spare_a = spare(sim, sim.regions().at(a.id), 5);
  auto spare_b = spare(sim, sim.regions().at(b.id), 5);
  sim.apply({directive_kind::add_learner,
             a.id,
             sim.regions().at(a.id).meta.epoch,
             {take(sim.pd().alloc_ids(1)).peer(0), spare_a, storage::peer_role::learner},
             {},
             {}});
  sim.apply({directive_kind::add_learner,
             b.id,
             sim.regions().at(b.id).meta.epoch,
             {take(sim.pd().alloc_ids(1)).peer(0), spare_b, storage::peer_role::voter},
             {},
             {}});
  auto bm = sim.regions().at(b.id).meta;
  sim.apply({directive_kind::promote_learner, b.id, bm.epoch, bm.peers.back(), {}, {}});
  auto cm = sim.regions().at(c.id).meta;
  sim.apply({directive_kind::remove_peer, c.id, cm.epoch, cm.peers.back(), {}, {}});
  auto settled = [&] {
    for (const auto& [id, r] : sim.regions())
      if (r.meta.peers.size() != 3 || voter_count(r.meta) != 3) return false;
    return sim.idle();
  };
  CHECK(sim.run_until(settled, 50));
  CHECK_FALSE(peer_on(sim.regions().at(a.id).meta, spare_a));
}

TEST_CASE(
    "region balance: a new store takes replicas until every store is within 1 of the "
    "others, never two of one region") {
  auto cfg = quiet();
  cfg.balance_regions = true;
  operator_sim sim(cfg, 3, 17);
  sim.round();
  balance_onto_new_store(sim);
  // At rest nothing moves any more.
  auto moves = sim.applied().size();
  for (int i = 0; i < 20; ++i)
    sim.round();
  CHECK(sim.applied().size() == moves);
}

TEST_CASE(
    "region balance: regions that report only when asked (hibernating) are found by PD's "
    "patrol and balanced") {
  auto cfg = quiet();
  cfg.balance_regions = true;
  operator_sim sim(cfg, 3, 17);
  sim.round();
  sim.set_quiet(true);
  // At rest, quiet regions say nothing.
  sim.round();
  auto silent = sim.reports();
  sim.round();
  CHECK(sim.reports() == silent);
  balance_onto_new_store(sim);
}

TEST_CASE(
    "region balance: when region sizes differ, stores are balanced by size, and each move "
    "narrows the gap without turning it around") {
  auto cfg = quiet();
  cfg.balance_regions = true;
  operator_sim sim(cfg, 4, 12);
  // Replica counts are even (9 per store), but every region with a replica on the first store
  // is large.
  constexpr std::uint64_t mib = 1 << 20;
  auto big = sim.store(0);
  for (const auto& [id, r] : sim.regions())
    sim.set_size(id, peer_on(r.meta, big) ? 64 * mib : 1 * mib);
  auto loads = [&] {
    std::map<store_id, std::uint64_t> out;
    for (const auto& [id, r] : sim.regions())
      for (const auto& p : r.meta.peers)
        out[p.store] += std::max(r.size, mib);
    return out;
  };
  auto gap = [&] {
    auto l = loads();
    auto [lo, hi] = std::ranges::minmax_element(l, {}, [](auto& e) { return e.second; });
    return hi->second - lo->second;
  };
  auto before = gap();
  CHECK(sim.run_until([&] { return !sim.applied().empty() && sim.idle(); }, 300));
  for (int i = 0; i < 30; ++i)
    sim.round();
  REQUIRE(sim.idle());
  CHECK(gap() < before);
  // At rest no region could move any more: for every replica, the store it is on and any store
  // without one are less than twice its size apart.
  auto l = loads();
  for (const auto& [id, r] : sim.regions())
    for (const auto& p : r.meta.peers)
      for (const auto& [s, load] : l)
        if (!peer_on(r.meta, s)) CHECK(l.at(p.store) < load + 2 * std::max(r.size, mib));
  for (const auto& [id, r] : sim.regions())
    CHECK(voter_count(r.meta) == 3);
}

TEST_CASE("decommission: every replica moves off the store, which then becomes a tombstone") {
  operator_sim sim(quiet(), 4, 8);
  auto leaving = sim.store(0);
  sim.round();
  auto info = take(sim.pd().decommission(leaving));
  CHECK(info.decommissioning);
  CHECK(info.state == store_state::up);
  // Nothing is placed on a decommissioning store.
  auto r = std::ranges::find_if(sim.regions(),
                                [&](const auto& e) { return !peer_on(e.second.meta, leaving); });
  if (r != sim.regions().end())
    CHECK(code_of(sim.pd().create_operator({operator_request_kind::add_peer, r->first, store_id{},
                                            leaving})) == errc::invalid_argument);
  auto gone = [&] { return take(sim.pd().store(leaving)).state == store_state::tombstone; };
  CHECK(sim.run_until(gone, 300));
  for (const auto& [id, region] : sim.regions()) {
    CHECK_FALSE(peer_on(region.meta, leaving));
    CHECK(voter_count(region.meta) == 3);
  }
  CHECK(code_of(sim.pd().decommission(leaving)) == errc::store_tombstone);
}

TEST_CASE("decommission: refused while a region would lose its quorum or have nowhere to go") {
  {
    operator_sim sim(quiet(), 3, 2);
    sim.round();
    CHECK(code_of(sim.pd().decommission(sim.store(0))) == errc::invalid_argument);
    CHECK(code_of(sim.pd().decommission(store_id{99})) == errc::unknown_store);
  }
  operator_sim sim(quiet(), 4, 1);
  const auto& r = first(sim);
  sim.round();
  sim.kill(r.meta.peers[1].store);
  for (int i = 0; i < 12; ++i)
    sim.round();
  CHECK(code_of(sim.pd().decommission(r.meta.peers[2].store)) == errc::invalid_argument);
  CHECK_FALSE(take(sim.pd().store(r.meta.peers[2].store)).decommissioning);
}

TEST_CASE("decommission: survives a PD restart") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  take(cs.bootstrap(make_layout({"m"}, 3, 4)));
  auto leaving = cs.stores().front().id;
  take(cs.decommission(leaving));
  auto again = take(cluster_state::open(ms));
  CHECK(take(again.store(leaving)).decommissioning);
}

TEST_CASE("schedulers: switched on and off by name; an unknown name is refused") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto all = take(cs.set_scheduler("balance-region", true));
  REQUIRE(all.size() == 3);
  CHECK(std::ranges::find(all, scheduler_info{"balance-region", true}) != all.end());
  CHECK(code_of(cs.set_scheduler("balance-everything", true)) == errc::invalid_argument);
  take(cs.set_scheduler("balance-region", false));
  auto now = cs.schedulers();
  CHECK(std::ranges::find(now, scheduler_info{"balance-region", false}) != now.end());
}

TEST_CASE("operators: ids are never reused, not even by a restarted PD") {
  memory_meta_store ms;
  std::uint64_t first_id = 0;
  region_id region;
  {
    auto cs = take(cluster_state::open(ms));
    auto metas = take(cs.bootstrap(make_layout({}, 3, 4)));
    region = metas[0].id;
    take(cs.on_region_heartbeat(heartbeat_of(metas[0])));
    store_id spare;
    for (const auto& s : cs.stores())
      if (!peer_on(metas[0], s.id)) spare = s.id;
    auto op = take(cs.create_operator({operator_request_kind::add_peer, region, {}, spare}));
    CHECK(op.id != 0);
    first_id = op.id;
  }
  auto again = take(cluster_state::open(ms));
  CHECK(again.operators().empty());
  auto meta = take(again.region_by_id(region)).meta;
  take(again.on_region_heartbeat(heartbeat_of(meta)));
  auto op = take(again.create_operator(
      {operator_request_kind::transfer_leader, region, {}, meta.peers[1].store}));
  CHECK(op.id > first_id);
}

}  // namespace rdb::pd::test
