#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

struct fixture {
  memory_meta_store ms;
  cluster_state cs = take(cluster_state::open(ms));
  std::vector<storage::region_meta> metas = take(cs.bootstrap(make_layout({"g", "p"}, 3, 4)));

  const storage::region_meta& middle() const { return metas[1]; }

  /// A store of the layout without a replica of `m`.
  store_id spare_store(const storage::region_meta& m) const {
    for (const auto& s : cs.stores())
      if (std::ranges::find(m.peers, s.id, &storage::region_peer::store) == m.peers.end())
        return s.id;
    FAIL("every store has a replica");
    return store_id{};
  }

  directive add_learner(const storage::region_meta& m) {
    directive d;
    d.kind = directive_kind::add_learner;
    d.region = m.id;
    d.epoch = m.epoch;
    d.peer = {take(cs.alloc_ids(1)).peer(0), spare_store(m), storage::peer_role::learner};
    return d;
  }
};

}  // namespace

TEST_CASE("directives: refused unless they fit PD's current view of the region") {
  memory_meta_store ms;
  auto fresh = take(cluster_state::open(ms));
  CHECK(code_of(fresh.push_directive(directive{})) == errc::not_bootstrapped);
  fixture f;
  auto d = f.add_learner(f.middle());
  auto unknown = d;
  unknown.region = region_id{99999};
  CHECK(code_of(f.cs.push_directive(unknown)) == errc::unknown_region);
  auto old_epoch = d;
  old_epoch.epoch.conf_ver = 0;
  auto r = f.cs.push_directive(old_epoch);
  CHECK(code_of(r) == errc::stale_epoch);
  CHECK(r.error().current == f.middle());
  auto none = d;
  none.kind = directive_kind::none;
  CHECK(code_of(f.cs.push_directive(none)) == errc::invalid_argument);
  auto existing = d;
  existing.peer = f.middle().peers[0];
  existing.peer.role = storage::peer_role::learner;
  CHECK(code_of(f.cs.push_directive(existing)) == errc::invalid_argument);
  auto promote_voter = d;
  promote_voter.kind = directive_kind::promote_learner;
  promote_voter.peer = f.middle().peers[1];
  CHECK(code_of(f.cs.push_directive(promote_voter)) == errc::invalid_argument);
  auto bad_split = d;
  bad_split.kind = directive_kind::split;
  bad_split.split = split_ids{region_id{99}, {peer_id{100}}};
  CHECK(code_of(f.cs.push_directive(bad_split)) == errc::invalid_argument);
  CHECK_FALSE(f.cs.pending_directive(f.middle().id).has_value());
}

TEST_CASE("directives: ride heartbeats at their epoch, dropped once the epoch moves") {
  fixture f;
  auto d = f.add_learner(f.middle());
  take(f.cs.push_directive(d));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.metas[0]))).next == directive{});
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  // A lost response costs nothing: the next heartbeat carries the directive again.
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  auto with_learner = f.middle();
  with_learner.peers.push_back(d.peer);
  ++with_learner.epoch.conf_ver;
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(with_learner))).next == directive{});
  CHECK_FALSE(f.cs.pending_directive(f.middle().id).has_value());
  // The next step: promote the learner, against the new epoch.
  directive promote;
  promote.kind = directive_kind::promote_learner;
  promote.region = with_learner.id;
  promote.epoch = with_learner.epoch;
  promote.peer = d.peer;
  take(f.cs.push_directive(promote));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(with_learner))).next == promote);
}

TEST_CASE("directives: the leader's store hears which of its regions have one waiting") {
  fixture f;
  auto d = f.add_learner(f.middle());
  take(f.cs.push_directive(d));
  const auto leader_store = f.middle().peers[0].store;
  const auto follower_store = f.middle().peers[1].store;
  // No leader heard yet: no store is told.
  CHECK(take(f.cs.on_store_heartbeat(store_stats{.store = leader_store})).directives_waiting ==
        std::vector<region_id>{});
  take(f.cs.on_region_heartbeat(heartbeat_of(f.middle())));
  CHECK(take(f.cs.on_store_heartbeat(store_stats{.store = leader_store})).directives_waiting ==
        std::vector<region_id>{f.middle().id});
  CHECK(take(f.cs.on_store_heartbeat(store_stats{.store = follower_store})).directives_waiting ==
        std::vector<region_id>{});
  // Carried out: nothing waits any more.
  auto with_learner = f.middle();
  with_learner.peers.push_back(d.peer);
  ++with_learner.epoch.conf_ver;
  take(f.cs.on_region_heartbeat(heartbeat_of(with_learner)));
  CHECK(take(f.cs.on_store_heartbeat(store_stats{.store = leader_store})).directives_waiting ==
        std::vector<region_id>{});
}

TEST_CASE("directives: a leader transfer is done once the target leads") {
  fixture f;
  directive d;
  d.kind = directive_kind::transfer_leader;
  d.region = f.middle().id;
  d.epoch = f.middle().epoch;
  d.peer = f.middle().peers[2];
  take(f.cs.push_directive(d));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  auto hb = heartbeat_of(f.middle());
  hb.leader = d.peer.id;
  CHECK(take(f.cs.on_region_heartbeat(hb)).next == directive{});
  CHECK_FALSE(f.cs.pending_directive(d.region).has_value());
}

TEST_CASE("directives: a region that leaves the table takes its directive along") {
  fixture f;
  auto ids = take(f.cs.ask_split(f.middle()));
  directive d;
  d.kind = directive_kind::split;
  d.region = f.middle().id;
  d.epoch = f.middle().epoch;
  d.split = ids;
  d.split_key = "k";
  take(f.cs.push_directive(d));
  auto child = f.middle();
  child.id = ids.new_region;
  child.start_key = "k";
  child.epoch.version = 2;
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = ids.new_peers[i];
  take(f.cs.on_region_heartbeat(heartbeat_of(child)));
  CHECK_FALSE(f.cs.pending_directive(d.region).has_value());
}

}  // namespace rdb::pd::test

namespace rdb::pd::test {

namespace {

/// A bootstrapped cluster of 3 stores and 6 regions whose leaders all sit on one store.
struct skewed {
  memory_meta_store ms;
  cluster_state cs;
  std::vector<storage::region_meta> metas;
  store_id hot;

  explicit skewed(bool balance)
      : cs(take(cluster_state::open(ms, cluster_config{.balance_leaders = balance}))),
        metas(take(cs.bootstrap(make_layout({"b", "d", "f", "h", "k"}, 3, 3)))),
        hot(cs.stores().front().id) {}

  region_heartbeat led_by(const storage::region_meta& m, store_id store) const {
    auto hb = heartbeat_of(m, 0);
    for (const auto& p : m.peers)
      if (p.store == store) hb.leader = p.id;
    return hb;
  }

  /// The first transfer ordered while every region reports the hot store as its leader, and
  /// that region's meta in `m`.
  directive first_transfer(storage::region_meta& m) {
    directive first;
    for (const auto& meta : metas) {
      auto next = take(cs.on_region_heartbeat(led_by(meta, hot))).next;
      if (first.kind == directive_kind::none && next.kind == directive_kind::transfer_leader)
        first = next, m = meta;
    }
    return first;
  }

  /// `ticks` ticks in which every store but `silent` heartbeats.
  void silence(store_id silent, int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (const auto& s : cs.stores())
        if (s.id != silent) take(cs.on_store_heartbeat(store_stats{.store = s.id}));
      cs.tick();
    }
  }

  std::map<store_id, int> leaders() const {
    std::map<store_id, int> out;
    for (const auto& r : take(cs.regions()))
      ++out[r.leader.store];
    return out;
  }
};

}  // namespace

TEST_CASE("leader balance: transfers off the hot store until counts differ by at most one") {
  skewed f{true};
  for (const auto& m : f.metas)
    take(f.cs.on_region_heartbeat(f.led_by(m, f.hot)));
  int transfers = 0;
  // Rounds of heartbeats; a region follows its directive by reporting the target as leader.
  for (int round = 0; round < 5; ++round)
    for (const auto& m : f.metas) {
      auto current = take(f.cs.region_by_id(m.id)).leader.store;
      auto response = take(f.cs.on_region_heartbeat(f.led_by(m, current)));
      if (response.next.kind != directive_kind::transfer_leader) continue;
      CHECK(response.next.peer.store != current);
      CHECK(response.next.peer.role == storage::peer_role::voter);
      ++transfers;
      take(f.cs.on_region_heartbeat(f.led_by(m, response.next.peer.store)));
    }
  auto counts = f.leaders();
  REQUIRE(counts.size() == 3);
  for (const auto& [store, n] : counts)
    CHECK(n == 2);
  // Pending transfers count as done: nothing overshoots and moves back.
  CHECK(transfers == 4);
}

TEST_CASE("leader balance: never onto a down store, and off unless configured") {
  skewed off{false};
  for (const auto& m : off.metas)
    CHECK(take(off.cs.on_region_heartbeat(off.led_by(m, off.hot))).next.kind ==
          directive_kind::none);

  skewed f{true};
  auto stores = f.cs.stores();
  // Only the hot store keeps heartbeating; the others go down.
  for (int t = 0; t < 11; ++t) {
    take(f.cs.on_store_heartbeat(store_stats{.store = f.hot}));
    f.cs.tick();
  }
  REQUIRE(take(f.cs.store(stores[1].id)).state == store_state::down);
  for (const auto& m : f.metas)
    CHECK(take(f.cs.on_region_heartbeat(f.led_by(m, f.hot))).next.kind == directive_kind::none);
}

TEST_CASE("leader balance: a transfer whose target store went down is dropped") {
  skewed f{true};
  storage::region_meta m;
  auto first = f.first_transfer(m);
  REQUIRE(first.kind == directive_kind::transfer_leader);
  REQUIRE(f.cs.pending_directive(m.id).has_value());
  // Every store but the target keeps heartbeating; the target goes down.
  f.silence(first.peer.store, 11);
  REQUIRE(take(f.cs.store(first.peer.store)).state == store_state::down);
  auto next = take(f.cs.on_region_heartbeat(f.led_by(m, f.hot))).next;
  CHECK_FALSE(
      (next.kind == directive_kind::transfer_leader && next.peer.store == first.peer.store));
}

TEST_CASE("leader balance: never onto a store gone silent, before it is down") {
  skewed f{true};
  auto silent = f.cs.stores()[1].id;
  // The store stops heartbeating (killed); PD will call it down only after 10 ticks.
  f.silence(silent, 3);
  REQUIRE(take(f.cs.store(silent)).state == store_state::up);
  int transfers = 0;
  for (const auto& m : f.metas) {
    auto next = take(f.cs.on_region_heartbeat(f.led_by(m, f.hot))).next;
    if (next.kind != directive_kind::transfer_leader) continue;
    ++transfers;
    CHECK(next.peer.store != silent);
  }
  // The third store still takes leaders.
  CHECK(transfers > 0);
}

TEST_CASE("leader balance: a transfer whose target store went silent is dropped") {
  skewed f{true};
  storage::region_meta m;
  auto first = f.first_transfer(m);
  REQUIRE(first.kind == directive_kind::transfer_leader);
  f.silence(first.peer.store, 3);
  REQUIRE(take(f.cs.store(first.peer.store)).state == store_state::up);
  auto next = take(f.cs.on_region_heartbeat(f.led_by(m, f.hot))).next;
  CHECK_FALSE(
      (next.kind == directive_kind::transfer_leader && next.peer.store == first.peer.store));
  auto pending = f.cs.pending_directive(m.id);
  CHECK_FALSE((pending && pending->peer.store == first.peer.store));
}

TEST_CASE("leader balance: after a restart, only onto stores heard from since") {
  skewed before{true};
  auto cs = take(cluster_state::open(before.ms, cluster_config{.balance_leaders = true}));
  auto stores = cs.stores();
  REQUIRE(stores.size() == 3);
  auto silent = stores[2].id;
  // Leaders 3/3/0 as the regions report them; the store without leaders has not been heard.
  auto report = [&](const storage::region_meta& m, store_id leader) {
    return take(cs.on_region_heartbeat(before.led_by(m, leader))).next;
  };
  for (std::size_t i = 0; i < before.metas.size(); ++i)
    CHECK(report(before.metas[i], stores[i % 2].id).kind == directive_kind::none);
  take(cs.on_store_heartbeat(store_stats{.store = stores[0].id}));
  take(cs.on_store_heartbeat(store_stats{.store = stores[1].id}));
  for (const auto& m : before.metas)
    CHECK(report(m, take(cs.region_by_id(m.id)).leader.store).kind == directive_kind::none);
  // Once heard from, it takes leaders.
  take(cs.on_store_heartbeat(store_stats{.store = silent}));
  int onto_silent = 0;
  for (const auto& m : before.metas) {
    auto next = report(m, take(cs.region_by_id(m.id)).leader.store);
    if (next.kind == directive_kind::transfer_leader && next.peer.store == silent) ++onto_silent;
  }
  CHECK(onto_silent == 2);
}

}  // namespace rdb::pd::test

namespace rdb::pd::test {

TEST_CASE(
    "directives: a split ordered by hand is checked, queued with fresh ids, and its "
    "outcome known once the child reports") {
  fixture f;
  const auto& m = f.middle();  // ["g", "p")
  auto code = [](const auto& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
  };
  CHECK(code(f.cs.order_split(region_id{999}, "k", {})) == errc::unknown_region);
  CHECK(code(f.cs.order_split(m.id, "g", {})) == errc::invalid_argument);
  CHECK(code(f.cs.order_split(m.id, "a", {})) == errc::invalid_argument);
  CHECK(code(f.cs.order_split(m.id, "p", {})) == errc::invalid_argument);
  CHECK(code(f.cs.order_split(m.id, "k" + std::string(storage::max_key_size, 'x'), {})) ==
        errc::invalid_argument);
  auto older = m.epoch;
  ++older.version;
  auto stale = f.cs.order_split(m.id, "k", older);
  CHECK(code(stale) == errc::stale_epoch);
  CHECK(stale.error().current == m);
  CHECK_FALSE(f.cs.pending_directive(m.id).has_value());
  auto d = take(f.cs.order_split(m.id, "k", m.epoch));
  CHECK(d.kind == directive_kind::split);
  CHECK(d.split_key == "k");
  CHECK(d.split.new_peers.size() == m.peers.size());
  CHECK(f.cs.pending_directive(m.id) == d);
  // At the middle: no key.
  CHECK(take(f.cs.order_split(m.id, "", {})).split_key.empty());
  CHECK_FALSE(f.cs.split_outcome(d).has_value());
  auto parent = m;
  parent.end_key = "k";
  parent.epoch.version = 2;
  auto child = m;
  child.id = d.split.new_region;
  child.start_key = "k";
  child.epoch.version = 2;
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = d.split.new_peers[i];
  take(f.cs.on_region_heartbeat(heartbeat_of(parent)));
  CHECK_FALSE(f.cs.split_outcome(d).has_value());
  take(f.cs.on_region_heartbeat(heartbeat_of(child)));
  CHECK(f.cs.split_outcome(d) == std::vector<storage::region_meta>{parent, child});
}

}  // namespace rdb::pd::test
