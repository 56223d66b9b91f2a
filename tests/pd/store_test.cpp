#include <doctest/doctest.h>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

store_info at(std::string address, store_id id = store_id{}) {
  store_info s;
  s.id = id;
  s.address = std::move(address);
  return s;
}

store_stats stats_of(store_id id, std::uint32_t regions = 0) {
  store_stats st;
  st.store = id;
  st.capacity = 1 << 30;
  st.available = 1 << 29;
  st.region_count = regions;
  return st;
}

}  // namespace

TEST_CASE("store registration: idempotent by address and by id") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto a = take(cs.put_store(at("10.0.0.1:7000")));
  CHECK_FALSE(a.is_none());
  auto commits = ms.commits();
  CHECK(take(cs.put_store(at("10.0.0.1:7000"))) == a);
  CHECK(take(cs.put_store(at("10.0.0.1:7000", a))) == a);
  CHECK(take(cs.put_store(at("", a))) == a);
  CHECK(ms.commits() == commits);
  auto b = take(cs.put_store(at("10.0.0.2:7000")));
  CHECK(b != a);
  CHECK(cs.stores().size() == 2);
}

TEST_CASE("store registration: a known id may move, never onto another store's address") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto a = take(cs.put_store(at("h1:1")));
  auto b = take(cs.put_store(at("h2:1")));
  CHECK(take(cs.put_store(at("h3:1", a))) == a);
  CHECK(take(cs.store(a)).address == "h3:1");
  CHECK(ms.state().stores.front().address == "h3:1");
  CHECK(code_of(cs.put_store(at("h2:1", a))) == errc::invalid_argument);
  CHECK(take(cs.store(b)).address == "h2:1");
}

TEST_CASE("store registration: the client address is recorded, replaced and persisted") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto first = at("h1:1");
  first.client_address = "h1:2";
  auto a = take(cs.put_store(first));
  CHECK(take(cs.store(a)).client_address == "h1:2");
  // Re-registering by address with new client port (a restart elsewhere) replaces it.
  auto moved = at("h1:1");
  moved.client_address = "h1:3";
  CHECK(take(cs.put_store(moved)) == a);
  CHECK(take(cs.store(a)).client_address == "h1:3");
  CHECK(ms.state().stores.front().client_address == "h1:3");
  // An empty client address keeps the recorded one.
  CHECK(take(cs.put_store(at("h1:1", a))) == a);
  CHECK(take(cs.store(a)).client_address == "h1:3");
  auto reopened = take(cluster_state::open(ms));
  CHECK(take(reopened.store(a)).client_address == "h1:3");
}

TEST_CASE("store registration: refusals") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  CHECK(code_of(cs.put_store(at(""))) == errc::invalid_argument);
  CHECK(code_of(cs.put_store(at("h:1", store_id{555}))) == errc::unknown_store);
  auto a = take(cs.put_store(at("h:1")));
  take(cs.remove_store(a));
  CHECK(code_of(cs.put_store(at("h:1", a))) == errc::store_tombstone);
  // The address is free again: a new store gets a new id.
  auto b = take(cs.put_store(at("h:1")));
  CHECK(b != a);
}

TEST_CASE("store heartbeat: figures recorded; unknown and removed stores refused") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms));
  auto a = take(cs.put_store(at("h:1")));
  auto info = take(cs.on_store_heartbeat(stats_of(a, 12)));
  CHECK(info.store.stats == stats_of(a, 12));
  CHECK(info.store.state == store_state::up);
  CHECK(info.directives_waiting.empty());
  CHECK(take(cs.store(a)).stats.region_count == 12);
  CHECK(code_of(cs.on_store_heartbeat(stats_of(store_id{555}))) == errc::unknown_store);
  auto removed = take(cs.remove_store(a));
  CHECK(removed.state == store_state::tombstone);
  CHECK(take(cs.remove_store(a)) == removed);
  CHECK(code_of(cs.on_store_heartbeat(stats_of(a))) == errc::store_tombstone);
  CHECK(code_of(cs.remove_store(store_id{555})) == errc::unknown_store);
  CHECK(code_of(cs.store(store_id{555})) == errc::unknown_store);
}

TEST_CASE("store liveness: down after N silent ticks, up again with one heartbeat") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms, cluster_config{1000, 3}));
  auto a = take(cs.put_store(at("h:1")));
  auto b = take(cs.put_store(at("h:2")));
  cs.tick();
  cs.tick();
  CHECK(take(cs.store(a)).state == store_state::up);
  take(cs.on_store_heartbeat(stats_of(b)));
  cs.tick();
  CHECK(take(cs.store(a)).state == store_state::down);
  CHECK(take(cs.store(b)).state == store_state::up);
  CHECK(take(cs.on_store_heartbeat(stats_of(a))).store.state == store_state::up);
  CHECK(take(cs.store(a)).last_heartbeat == tick_no{3});
  cs.tick();
  cs.tick();
  CHECK(take(cs.store(a)).state == store_state::up);
  CHECK(take(cs.store(b)).state == store_state::down);
  cs.tick();
  CHECK(take(cs.store(a)).state == store_state::down);
  // Liveness is soft state: nothing of it was written.
  CHECK(ms.commits() == 2);
}

TEST_CASE("store liveness: an injected clock value jumps time forward, never back") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms, cluster_config{1000, 5}));
  auto a = take(cs.put_store(at("h:1")));
  cs.advance_to(tick_no{4});
  CHECK(take(cs.store(a)).state == store_state::up);
  cs.advance_to(tick_no{100});
  CHECK(take(cs.store(a)).state == store_state::down);
  cs.advance_to(tick_no{50});
  CHECK(cs.now() == tick_no{100});
  take(cs.on_store_heartbeat(stats_of(a)));
  cs.advance_to(tick_no{104});
  CHECK(take(cs.store(a)).state == store_state::up);
  cs.advance_to(tick_no{105});
  CHECK(take(cs.store(a)).state == store_state::down);
}

TEST_CASE("store liveness: tombstones stay tombstones") {
  memory_meta_store ms;
  auto cs = take(cluster_state::open(ms, cluster_config{1000, 1}));
  auto a = take(cs.put_store(at("h:1")));
  take(cs.remove_store(a));
  cs.advance_to(tick_no{10});
  CHECK(take(cs.store(a)).state == store_state::tombstone);
}

}  // namespace rdb::pd::test
