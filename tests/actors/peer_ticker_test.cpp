#include <chrono>
#include <memory>

#include "actors/store/ticker.hpp"
#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using namespace std::chrono_literals;
using rdb::test::cluster;

namespace {

constexpr caf::timespan interval = 100ms;

/// Stands in for a region peer: counts its ticks.
region_peer_actor spawn_tick_counter(caf::actor_system& sys, std::shared_ptr<int> count) {
  auto a = sys.spawn([count](caf::event_based_actor*) -> caf::behavior {
    return {[count](raft_tick_atom) { ++*count; }};
  });
  return caf::actor_cast<region_peer_actor>(a);
}

/// Runs everything due, then lets one tick interval pass.
void one_round(caf::scheduler::test_coordinator& sched) {
  while (sched.try_run_once()) {
  }
  sched.advance_time(interval);
  while (sched.try_run_once()) {
  }
}

}  // namespace

TEST_CASE_FIXTURE(test::store_fixture, "ticker: ticks only awake regions, and idles without any") {
  auto ticker = spawn_ticker(sys, interval);
  auto a = std::make_shared<int>(0);
  auto b = std::make_shared<int>(0);
  auto pa = spawn_tick_counter(sys, a);
  auto pb = spawn_tick_counter(sys, b);
  caf::anon_send(ticker, wake_atom::value, region_id{1}, pa);
  caf::anon_send(ticker, wake_atom::value, region_id{2}, pb);
  // A second wake of the same region changes nothing.
  caf::anon_send(ticker, wake_atom::value, region_id{2}, pb);
  one_round(sched);
  CHECK(*a == 1);
  CHECK(*b == 1);
  caf::anon_send(ticker, hibernate_atom::value, region_id{1});
  one_round(sched);
  one_round(sched);
  CHECK(*a == 1);
  CHECK(*b == 3);
  auto st = test::ask_now<ticker_stats>(sys, sched, ticker, stats_atom::value).value();
  CHECK(st.active == 1);
  CHECK(st.rounds == 3);
  CHECK(st.ticks_sent == 4);
  caf::anon_send(ticker, hibernate_atom::value, region_id{2});
  one_round(sched);
  // The round already armed fires once more and finds nobody; then no timer is left.
  CHECK_FALSE(sched.has_pending_timeout());
  caf::anon_send(ticker, wake_atom::value, region_id{1}, pa);
  one_round(sched);
  CHECK(*a == 2);
  // A region peer that terminates stops being ticked.
  caf::anon_send_exit(pa, caf::exit_reason::kill);
  one_round(sched);
  st = test::ask_now<ticker_stats>(sys, sched, ticker, stats_atom::value).value();
  CHECK(st.active == 0);
}

TEST_CASE_FIXTURE(cluster, "hibernation: a quiet region stops ticking and a request wakes it") {
  tick_interval = interval;
  hibernate = true;
  auto active_regions = [&] {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 3; ++i)
      n += test::ask_now<ticker_stats>(sys, sched, nodes[i].ticker, stats_atom::value)->active;
    return n;
  };
  start_all(true);
  auto leader_index = [&]() -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < 3; ++i) {
      auto s = test::ask_now<region_status>(sys, sched, nodes[i].peer, status_atom::value);
      if (s.value().is_leader()) return i;
    }
    return std::nullopt;
  };
  std::optional<std::size_t> leader;
  for (int round = 0; round < 100 && !leader; ++round) {
    one_round(sched);
    leader = leader_index();
  }
  REQUIRE(leader.has_value());
  auto write = [&](std::string key) {
    return test::ask_now<write_response>(sys, sched, nodes[*leader].peer, kv_put_atom::value,
                                         put_request{header(), key, "v", client_id{1}, 0});
  };
  REQUIRE(write("a").engaged());
  auto idle_rounds = [&] {
    for (int round = 0; round < 200; ++round) {
      one_round(sched);
      if (active_regions() == 0) return round;
    }
    return -1;
  };
  CHECK(idle_rounds() >= 0);
  // The rounds already armed fire once more and find nobody; then no timer is left.
  one_round(sched);
  CHECK_FALSE(sched.has_pending_timeout());
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = test::ask_now<region_status>(sys, sched, nodes[i].peer, status_atom::value).value();
    CHECK(s.hibernating);
    CHECK(s.leader.id == meta.peers[*leader].id);
  }
  // Nothing ticks while hibernating, yet a write needs no tick: it commits and wakes the
  // region, which goes quiet again afterwards.
  auto w = write("b");
  REQUIRE(w.engaged());
  CHECK(active_regions() > 0);
  CHECK(idle_rounds() >= 0);
  auto g = test::ask_now<get_response>(sys, sched, nodes[*leader].peer, kv_get_atom::value,
                                       get_request{header(), "b"});
  REQUIRE(g.engaged());
  CHECK(g->found);
}

namespace {

/// A hibernating 3-replica region that has elected a leader and taken a write.
struct asleep : cluster {
  std::size_t leader = 0;
  std::vector<std::size_t> followers;

  asleep() {
    tick_interval = interval;
    hibernate = true;
    start_all(true);
    std::optional<std::size_t> elected;
    for (int round = 0; round < 100 && !elected; ++round) {
      one_round(sched);
      elected = leader_among({0, 1, 2});
    }
    REQUIRE(elected.has_value());
    leader = *elected;
    REQUIRE(write(leader, "a"));
    for (int round = 0; round < 200 && !all_asleep(); ++round)
      one_round(sched);
    REQUIRE(all_asleep());
    for (std::size_t i = 0; i < 3; ++i)
      if (i != leader) followers.push_back(i);
  }

  region_status status_of(std::size_t i) {
    return test::ask_now<region_status>(sys, sched, nodes[i].peer, status_atom::value).value();
  }

  std::optional<std::size_t> leader_among(const std::vector<std::size_t>& candidates) {
    for (auto i : candidates)
      if (status_of(i).is_leader()) return i;
    return std::nullopt;
  }

  bool all_asleep() {
    return status_of(0).hibernating && status_of(1).hibernating && status_of(2).hibernating;
  }

  bool write(std::size_t i, std::string key) {
    return test::ask_now<write_response>(
               sys, sched, nodes[i].peer, kv_put_atom::value,
               put_request{header(), std::move(key), "v", client_id{1}, 0})
        .engaged();
  }
};

}  // namespace

TEST_CASE_FIXTURE(asleep, "hibernation: followers told their leader is lost elect another") {
  // The leader's store goes away. Asleep, the followers hear nothing and notice nothing.
  net->isolate(store_of(leader), true);
  for (int round = 0; round < 50; ++round)
    one_round(sched);
  CHECK(status_of(followers[0]).hibernating);
  CHECK(status_of(followers[1]).hibernating);
  CHECK_FALSE(leader_among(followers));
  // Told by their transports that the leader's store is lost, they wake and elect another.
  auto lost = meta.peers[leader].id;
  for (auto i : followers)
    caf::anon_send(nodes[i].peer, unreachable_atom::value, lost);
  std::optional<std::size_t> next;
  for (int round = 0; round < 100 && !next; ++round) {
    one_round(sched);
    next = leader_among(followers);
  }
  REQUIRE(next.has_value());
  CHECK(write(*next, "b"));
}

TEST_CASE_FIXTURE(asleep,
                  "hibernation: a follower woken while its leader lives causes no election") {
  auto term = status_of(leader).term;
  // A false alarm: the connection to the leader's store came back, the leader never left.
  caf::anon_send(nodes[followers[0]].peer, unreachable_atom::value, meta.peers[leader].id);
  one_round(sched);
  CHECK_FALSE(status_of(followers[0]).hibernating);
  for (int round = 0; round < 300 && !all_asleep(); ++round)
    one_round(sched);
  CHECK(all_asleep());
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = status_of(i);
    CHECK(s.term == term);
    CHECK(s.leader.id == meta.peers[leader].id);
  }
  CHECK(write(leader, "b"));
}
