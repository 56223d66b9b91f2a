#include "tests/support/caf_doctest.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <expected>
#include <memory>

#include "pd/lmdb_meta_store.hpp"
#include "pd/memory_meta_store.hpp"
#include "pd/pd_actor.hpp"
#include "pd/pd_interface.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

struct pd_test_config : caf::actor_system_config {
  pd_test_config() { add_pd_types(*this); }
};

/// A PD actor over an in-memory meta store, driven by the deterministic test coordinator.
struct pd_fixture : test_coordinator_fixture<pd_test_config> {
  pd_actor pd;

  explicit pd_fixture(caf::timespan tick_interval = caf::timespan{0}) {
    pd_config cfg;
    cfg.cluster.store_down_ticks = 2;
    cfg.tick_interval = tick_interval;
    auto spawned = spawn_pd(sys, std::make_unique<memory_meta_store>(), cfg);
    REQUIRE(spawned.has_value());
    pd = *spawned;
    consume_messages();
  }

  /// Sends a request, lets PD handle it, and answers its reply or error. Runs mailboxes only,
  /// never timers, so PD's own tick timer cannot keep the loop alive.
  template <class T, class... Ts>
  std::expected<T, caf::error> ask(Ts... xs) {
    std::expected<T, caf::error> out = std::unexpected(caf::error{});
    auto h = self->request(pd, caf::infinite, std::move(xs)...);
    consume_messages();
    h.receive([&](T& x) { out = std::move(x); },
              [&](caf::error& e) { out = std::unexpected(std::move(e)); });
    return out;
  }

  template <class T>
  static errc code_of(const std::expected<T, caf::error>& r) {
    REQUIRE_FALSE(r.has_value());
    auto code = pd_code(r.error());
    REQUIRE(code.has_value());
    return *code;
  }

  std::vector<storage::region_meta> bootstrap(std::vector<std::string> keys) {
    auto r = ask<std::vector<storage::region_meta>>(bootstrap_atom::value, make_layout(keys));
    REQUIRE(r.has_value());
    return *r;
  }
};

}  // namespace

TEST_CASE_FIXTURE(pd_fixture, "pd actor: is_bootstrapped and bootstrap through the DSL") {
  self->send(pd, is_bootstrapped_atom::value);
  expect((is_bootstrapped_atom), from(self).to(pd).with(_));
  expect((bootstrap_status), from(pd).to(self).with(bootstrap_status{}));
  auto req = make_layout({"m"});
  self->send(pd, bootstrap_atom::value, req);
  expect((bootstrap_atom, bootstrap_request), from(self).to(pd).with(_, req));
  expect((std::vector<storage::region_meta>), from(pd).to(self).with(_));
  self->send(pd, is_bootstrapped_atom::value);
  expect((is_bootstrapped_atom), from(self).to(pd).with(_));
  expect((bootstrap_status), from(pd).to(self).with(bootstrap_status{true, cluster_id{7}}));
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: bootstrap errors arrive as pd errors") {
  CHECK(code_of(ask<std::vector<region_info>>(get_regions_atom::value)) == errc::not_bootstrapped);
  CHECK(code_of(ask<std::vector<storage::region_meta>>(
            bootstrap_atom::value, make_layout({"b", "a"}))) == errc::invalid_argument);
  auto metas = bootstrap({"m"});
  CHECK(ask<std::vector<storage::region_meta>>(bootstrap_atom::value, make_layout({"m"})) == metas);
  auto other = ask<std::vector<storage::region_meta>>(bootstrap_atom::value, make_layout({"n"}));
  CHECK(code_of(other) == errc::already_bootstrapped);
  CHECK(sys.render(other.error()).find("already_bootstrapped") != std::string::npos);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: alloc_id") {
  auto a = ask<id_range>(alloc_id_atom::value, std::uint32_t{3});
  auto b = ask<id_range>(alloc_id_atom::value, std::uint32_t{1});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->count == 3);
  CHECK(b->first == a->first + 3);
  CHECK(code_of(ask<id_range>(alloc_id_atom::value, std::uint32_t{0})) == errc::invalid_argument);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: stores: put, get, heartbeat, remove, liveness by tick") {
  store_info s;
  s.address = "h:1";
  auto id = ask<store_id>(put_store_atom::value, s);
  REQUIRE(id.has_value());
  CHECK(ask<store_id>(put_store_atom::value, s) == *id);
  store_stats st;
  st.store = *id;
  st.region_count = 4;
  auto hb = ask<store_heartbeat_response>(store_heartbeat_atom::value, st);
  REQUIRE(hb.has_value());
  CHECK(hb->store.stats == st);
  self->send(pd, pd_tick_atom::value);
  expect((pd_tick_atom), from(self).to(pd).with(_));
  CHECK(ask<store_info>(get_store_atom::value, *id)->state == store_state::up);
  self->send(pd, pd_tick_atom::value);
  expect((pd_tick_atom), from(self).to(pd).with(_));
  CHECK(ask<store_info>(get_store_atom::value, *id)->state == store_state::down);
  CHECK(ask<store_heartbeat_response>(store_heartbeat_atom::value, st)->store.state ==
        store_state::up);
  auto all = ask<std::vector<store_info>>(get_stores_atom::value);
  REQUIRE(all.has_value());
  CHECK(all->size() == 1);
  CHECK(ask<store_info>(remove_store_atom::value, *id)->state == store_state::tombstone);
  CHECK(code_of(ask<store_heartbeat_response>(store_heartbeat_atom::value, st)) ==
        errc::store_tombstone);
  CHECK(code_of(ask<store_info>(get_store_atom::value, store_id{999})) == errc::unknown_store);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: region heartbeats, stale epochs carry PD's meta") {
  auto metas = bootstrap({"g", "p"});
  auto newer = metas[1];
  newer.epoch.version = 2;
  self->send(pd, region_heartbeat_atom::value, heartbeat_of(newer, 77));
  expect((region_heartbeat_atom, region_heartbeat), from(self).to(pd).with(_, _));
  expect((region_heartbeat_response), from(pd).to(self).with(region_heartbeat_response{}));
  auto stale = ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(metas[1]));
  CHECK(code_of(stale) == errc::stale_epoch);
  CHECK(stale_epoch_region(stale.error()) == newer);
  auto info = ask<region_info>(get_region_by_id_atom::value, newer.id);
  REQUIRE(info.has_value());
  CHECK(info->meta == newer);
  CHECK(info->leader == newer.peers[0]);
  CHECK(info->approximate_size == 77);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: a pushed directive rides the region's heartbeat") {
  auto metas = bootstrap({"g", "p"});
  directive d;
  d.kind = directive_kind::transfer_leader;
  d.region = metas[1].id;
  d.epoch = metas[1].epoch;
  d.peer = metas[1].peers[1];
  self->send(pd, push_directive_atom::value, d);
  expect((push_directive_atom, directive), from(self).to(pd).with(_, d));
  self->send(pd, region_heartbeat_atom::value, heartbeat_of(metas[1]));
  expect((region_heartbeat_atom, region_heartbeat), from(self).to(pd).with(_, _));
  expect((region_heartbeat_response), from(pd).to(self).with(region_heartbeat_response{d}));
  auto stale = d;
  stale.epoch.version = 0;
  caf::error err;
  auto h = self->request(pd, caf::infinite, push_directive_atom::value, stale);
  consume_messages();
  h.receive([] { FAIL("a stale directive was accepted"); },
            [&](caf::error& e) { err = std::move(e); });
  CHECK(pd_code(err) == errc::stale_epoch);
  CHECK(stale_epoch_region(err) == metas[1]);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: region lookups and ask_split") {
  auto metas = bootstrap({"g", "p"});
  CHECK(ask<region_info>(get_region_atom::value, std::string{"g"})->meta == metas[1]);
  CHECK(ask<region_info>(get_region_atom::value, std::string{})->meta == metas[0]);
  CHECK(code_of(ask<region_info>(get_region_by_id_atom::value, region_id{999})) ==
        errc::unknown_region);
  auto all = ask<std::vector<region_info>>(get_regions_atom::value);
  REQUIRE(all.has_value());
  check_coverage(*all);
  auto store = metas[0].peers[0].store;
  CHECK(ask<std::vector<region_info>>(get_store_regions_atom::value, store)->size() == 3);
  CHECK(code_of(ask<std::vector<region_info>>(get_store_regions_atom::value, store_id{999})) ==
        errc::unknown_store);
  auto ids = ask<split_ids>(ask_split_atom::value, metas[2]);
  REQUIRE(ids.has_value());
  CHECK(ids->new_peers.size() == metas[2].peers.size());
  CHECK_FALSE(ids->new_region.is_none());
}

TEST_CASE_FIXTURE(pd_fixture,
                  "pd actor: split_region answers the halves once the child reports, or times "
                  "out") {
  auto metas = bootstrap({"g", "p"});
  auto m = metas[1];
  CHECK(code_of(ask<std::vector<storage::region_meta>>(split_region_atom::value,
                                                       split_region_request{m.id, "z", {}})) ==
        errc::invalid_argument);
  using halves = std::vector<storage::region_meta>;
  // An answer is in the test actor's mailbox once PD delivered it.
  auto answered = [&] { return !self->mailbox().empty(); };
  auto h = self->request(pd, caf::infinite, split_region_atom::value,
                         split_region_request{m.id, "k", m.epoch});
  consume_messages();
  CHECK_FALSE(answered());
  // The leader's heartbeat carries the directive, with fresh ids.
  auto resp = ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(m));
  REQUIRE(resp.has_value());
  REQUIRE(resp->next.kind == directive_kind::split);
  auto parent = m;
  parent.end_key = "k";
  parent.epoch.version = 2;
  auto child = m;
  child.id = resp->next.split.new_region;
  child.start_key = "k";
  child.epoch.version = 2;
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = resp->next.split.new_peers[i];
  REQUIRE(ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(parent)));
  CHECK_FALSE(answered());
  REQUIRE(ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(child)));
  REQUIRE(answered());
  std::optional<halves> got;
  h.receive([&](halves& x) { got = std::move(x); }, [&](caf::error&) {});
  CHECK(got == halves{parent, child});
  // A split nobody carries out fails after `split_wait_ticks`, not before.
  auto late = self->request(pd, caf::infinite, split_region_atom::value,
                            split_region_request{child.id, "", {}});
  consume_messages();
  for (std::uint64_t t = 1; t < pd_config{}.split_wait_ticks; ++t) {
    self->send(pd, pd_tick_atom::value);
    consume_messages();
  }
  CHECK_FALSE(answered());
  self->send(pd, pd_tick_atom::value);
  consume_messages();
  REQUIRE(answered());
  std::optional<errc> failed;
  late.receive([&](halves&) {}, [&](caf::error& e) { failed = pd_code(e); });
  CHECK(failed == errc::timeout);
}

TEST_CASE_FIXTURE(pd_fixture, "pd actor: a split the store refuses fails at once with its reason") {
  auto metas = bootstrap({"g", "p"});
  auto m = metas[1];
  using halves = std::vector<storage::region_meta>;
  auto h = self->request(pd, caf::infinite, split_region_atom::value,
                         split_region_request{m.id, "", {}});
  consume_messages();
  auto resp = ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(m));
  REQUIRE(resp->next.kind == directive_kind::split);
  // A refusal of some other directive changes nothing.
  auto other = resp->next;
  other.split.new_region = region_id{9999};
  self->send(pd, split_refused_atom::value, other, std::string{"not this one"});
  consume_messages();
  CHECK(self->mailbox().empty());
  self->send(pd, split_refused_atom::value, resp->next, std::string{"it holds one key"});
  consume_messages();
  REQUIRE_FALSE(self->mailbox().empty());
  std::optional<caf::error> failed;
  h.receive([&](halves&) {}, [&](caf::error& e) { failed = e; });
  REQUIRE(failed.has_value());
  CHECK(pd_code(*failed) == errc::invalid_argument);
  CHECK(sys.render(*failed).find("it holds one key") != std::string::npos);
  // The directive is gone: the next heartbeat carries nothing.
  CHECK(ask<region_heartbeat_response>(region_heartbeat_atom::value, heartbeat_of(m))->next ==
        directive{});
}

TEST_CASE("pd actor: its own timer ticks store liveness") {
  pd_fixture f{std::chrono::seconds{1}};
  store_info s;
  s.address = "h:1";
  auto id = f.ask<store_id>(put_store_atom::value, s);
  REQUIRE(id.has_value());
  for (int i = 0; i < 2; ++i) {
    CHECK(f.ask<store_info>(get_store_atom::value, *id)->state == store_state::up);
    f.advance_time(std::chrono::seconds{1});
    f.consume_messages();
  }
  CHECK(f.ask<store_info>(get_store_atom::value, *id)->state == store_state::down);
  // Stop PD so the fixture's final run() does not chase its timer forever.
  f.self->send_exit(f.pd, caf::exit_reason::user_shutdown);
  f.consume_messages();
}

TEST_CASE_FIXTURE(pd_fixture, "pd message types survive serialization and are registered") {
  region_info r;
  r.meta.id = region_id{3};
  r.meta.start_key = std::string("a\0", 2);
  r.meta.epoch = {2, 5};
  r.meta.peers = {{peer_id{4}, store_id{1}, storage::peer_role::learner}};
  r.leader = r.meta.peers[0];
  r.approximate_size = 99;
  CHECK(roundtrip(r) == r);
  directive d;
  d.kind = directive_kind::split;
  d.region = region_id{3};
  d.split = split_ids{region_id{8}, {peer_id{9}}};
  d.split_key = "k";
  CHECK(roundtrip(region_heartbeat_response{d}) == region_heartbeat_response{d});
  store_info s;
  s.id = store_id{1};
  s.address = "h:1";
  s.state = store_state::down;
  s.stats.capacity = 10;
  s.last_heartbeat = tick_no{4};
  CHECK(roundtrip(s) == s);
  auto req = make_layout({"a", "b"});
  CHECK(roundtrip(req) == req);
  region_heartbeat hb = heartbeat_of(r.meta, 5);
  hb.down_peers = r.meta.peers;
  CHECK(roundtrip(hb) == hb);
  CHECK(roundtrip(id_range{5, 6}) == id_range{5, 6});
  for (const char* name :
       {"pd.bootstrap_request", "pd.bootstrap_status", "pd.id_range", "pd.split_ids",
        "pd.split_region_request", "pd.store_stats", "pd.store_info", "pd.region_heartbeat",
        "pd.region_info", "pd.directive", "pd.region_heartbeat_response",
        "pd.store_heartbeat_response", "rdb.region_meta", "rdb.region_id", "rdb.store_id"}) {
    CAPTURE(name);
    CHECK(sys.types().make_value(name) != nullptr);
  }
}

TEST_CASE("pd actor: a PD restarted on its LMDB directory answers as before") {
  temp_dir dir;
  pd_fixture f;
  auto first = spawn_pd(f.sys, dir.path());
  REQUIRE(first.has_value());
  f.pd = *first;
  auto metas = f.bootstrap({"g", "p"});
  store_info s;
  s.address = "extra:1";
  auto extra = f.ask<store_id>(put_store_atom::value, s);
  REQUIRE(extra.has_value());
  auto regions = f.ask<std::vector<region_info>>(get_regions_atom::value);
  auto stores = f.ask<std::vector<store_info>>(get_stores_atom::value);
  REQUIRE(regions.has_value());
  REQUIRE(stores.has_value());
  // Terminating the actor destroys its state, which closes the environment.
  f.self->send_exit(f.pd, caf::exit_reason::user_shutdown);
  f.consume_messages();
  f.pd = nullptr;
  auto second = spawn_pd(f.sys, dir.path());
  REQUIRE(second.has_value());
  f.pd = *second;
  CHECK(f.ask<bootstrap_status>(is_bootstrapped_atom::value) ==
        bootstrap_status{true, cluster_id{7}});
  CHECK(f.ask<std::vector<region_info>>(get_regions_atom::value) == *regions);
  CHECK(f.ask<std::vector<store_info>>(get_stores_atom::value) == *stores);
  CHECK(f.ask<store_id>(put_store_atom::value, s) == *extra);
}

TEST_CASE("pd actor: spawning on a corrupt directory fails with a typed error") {
  temp_dir dir;
  {
    auto store = take(lmdb_meta_store::open(dir.path()));
    auto cs = take(cluster_state::open(*store));
    take(cs.bootstrap(make_layout({"m"})));
  }
  raw_put(dir.path(), "pd_regions", id_key(1), "garbage");
  pd_fixture f;
  auto spawned = spawn_pd(f.sys, dir.path());
  REQUIRE_FALSE(spawned.has_value());
  CHECK(spawned.error().code == errc::storage_corrupt);
}

TEST_CASE("pd error numbers are pinned") {
  static_assert(static_cast<int>(errc::not_bootstrapped) == 1);
  static_assert(static_cast<int>(errc::already_bootstrapped) == 2);
  static_assert(static_cast<int>(errc::stale_epoch) == 3);
  static_assert(static_cast<int>(errc::unknown_store) == 4);
  static_assert(static_cast<int>(errc::unknown_region) == 5);
  static_assert(static_cast<int>(errc::storage_failure) == 6);
  static_assert(static_cast<int>(errc::invalid_argument) == 7);
  static_assert(static_cast<int>(errc::storage_corrupt) == 8);
  static_assert(static_cast<int>(errc::store_tombstone) == 9);
  caf::error e = errc::unknown_region;
  CHECK(e == errc::unknown_region);
  CHECK(e.category() == error_category);
  CHECK(pd_code(e) == errc::unknown_region);
  CHECK_FALSE(stale_epoch_region(e).has_value());
}

}  // namespace rdb::pd::test
